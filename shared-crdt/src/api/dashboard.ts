import { Type, type Static } from "@sinclair/typebox";

/**
 * A dataset's dashboard (SPEC D-DASH, D-TIME): status counts over time, throughput per person, time spent per
 * record and label distribution, computed by the server from the activity feed, the records' current statuses and
 * the current annotation rows, plus the dataset's `stats.json` histograms (Pixano's format, passed through).
 */

/** The buckets of the time series: an hour or a UTC day; `auto` picks by span (D-DASH). */
export const DASHBOARD_BUCKETS = ["auto", "hour", "day"] as const;
export type DashboardBucketParam = (typeof DASHBOARD_BUCKETS)[number];
/** Most buckets one answer may hold. */
export const DASHBOARD_MAX_BUCKETS = 1000;
/** Most categories listed per annotation kind; the rest are summed in `others`. */
export const DASHBOARD_MAX_CATEGORIES = 50;
/** The series of the status chart: the four workflow statuses and `other` (any other stored value, SPEC W7). */
export const DASHBOARD_STATUSES = ["new", "inProgress", "inReview", "validated", "other"] as const;
export type DashboardStatus = (typeof DASHBOARD_STATUSES)[number];

const Count = Type.Integer({ minimum: 0 });
const Seconds = Type.Number({ minimum: 0 });

export const DashboardStatusCounts = Type.Object(
  { new: Count, inProgress: Count, inReview: Count, validated: Count, other: Count },
  { title: "DashboardStatusCounts" },
);
export type DashboardStatusCounts = Static<typeof DashboardStatusCounts>;

export const DashboardPerson = Type.Object({ id: Type.String(), name: Type.String() }, { title: "DashboardPerson" });
export type DashboardPerson = Static<typeof DashboardPerson>;

/** Records per status at the end of one bucket (or now, for the bucket that holds now). */
export const DashboardStatusPoint = Type.Object(
  { start: Type.String(), counts: DashboardStatusCounts },
  { title: "DashboardStatusPoint" },
);
export type DashboardStatusPoint = Static<typeof DashboardStatusPoint>;

export const DashboardThroughputPoint = Type.Object(
  { start: Type.String(), submitted: Count, approved: Count, rejected: Count },
  { title: "DashboardThroughputPoint" },
);
export type DashboardThroughputPoint = Static<typeof DashboardThroughputPoint>;

/** What one person did in the window: submissions they made, approvals and rejections they gave. */
export const DashboardThroughput = Type.Object(
  {
    user: DashboardPerson,
    submitted: Count,
    approved: Count,
    rejected: Count,
    /** Only the buckets where the person did something, oldest first. */
    buckets: Type.Array(DashboardThroughputPoint),
  },
  { title: "DashboardThroughput" },
);
export type DashboardThroughput = Static<typeof DashboardThroughput>;

export const DashboardHistogramBin = Type.Object(
  { bin_start: Seconds, bin_end: Seconds, count: Count },
  { title: "DashboardHistogramBin" },
);
export type DashboardHistogramBin = Static<typeof DashboardHistogramBin>;

export const DashboardPersonTime = Type.Object(
  {
    user: DashboardPerson,
    records: Count,
    total_seconds: Seconds,
    median_seconds: Seconds,
    p90_seconds: Seconds,
  },
  { title: "DashboardPersonTime" },
);
export type DashboardPersonTime = Static<typeof DashboardPersonTime>;

/** Time spent per record (D-TIME): over the records edited in the window. */
export const DashboardTimeSpent = Type.Object(
  {
    records: Count,
    total_seconds: Seconds,
    median_seconds: Seconds,
    p90_seconds: Seconds,
    histogram: Type.Array(DashboardHistogramBin),
    per_person: Type.Array(DashboardPersonTime),
    /** The records that took longest, longest first (at most 10). */
    longest: Type.Array(Type.Object({ record_id: Type.String(), seconds: Seconds })),
  },
  { title: "DashboardTimeSpent" },
);
export type DashboardTimeSpent = Static<typeof DashboardTimeSpent>;

/** Rows of one table (`entities`, or an annotation kind's table) by their entity's category, most frequent first. */
export const DashboardLabelKind = Type.Object(
  {
    kind: Type.String(),
    total: Count,
    categories: Type.Array(Type.Object({ category: Type.String(), count: Count })),
    /** Rows of the categories past the listed ones. */
    others: Count,
  },
  { title: "DashboardLabelKind" },
);
export type DashboardLabelKind = Static<typeof DashboardLabelKind>;

/** One `stats.json` entry, as Pixano writes it (spec §3.6). */
export const DashboardStatsEntry = Type.Object(
  {
    name: Type.String(),
    type: Type.Union([Type.Literal("numerical"), Type.Literal("categorical")]),
    histogram: Type.Array(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
    range: Type.Union([Type.Tuple([Type.Number(), Type.Number()]), Type.Null()]),
  },
  { title: "DashboardStatsEntry" },
);
export type DashboardStatsEntry = Static<typeof DashboardStatsEntry>;

export const DatasetDashboard = Type.Object(
  {
    dataset_id: Type.String(),
    generated_at: Type.String(),
    from: Type.String(),
    to: Type.String(),
    bucket: Type.Union([Type.Literal("hour"), Type.Literal("day")]),
    /** Records per status now: the explorer's counts. */
    current: DashboardStatusCounts,
    total_records: Count,
    status_over_time: Type.Array(DashboardStatusPoint),
    throughput: Type.Array(DashboardThroughput),
    time_spent: DashboardTimeSpent,
    labels: Type.Array(DashboardLabelKind),
    /** The dataset's `stats.json` (null without one); `stats_json_error` says why a present one is not shown. */
    stats_json: Type.Union([Type.Array(DashboardStatsEntry), Type.Null()]),
    stats_json_error: Type.Union([Type.String(), Type.Null()]),
    /** The activity feed read: entries used and lines skipped (torn or not an entry). */
    activity: Type.Object({ entries: Count, skipped_lines: Count }),
  },
  { title: "DatasetDashboard" },
);
export type DatasetDashboard = Static<typeof DatasetDashboard>;
