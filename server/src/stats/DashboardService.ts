import path from "node:path";
import type { DatasetHandle } from "@tessera/dataset";
import { RECORD_STATUSES } from "@tessera/shared-crdt";
import type { DashboardLabelKind, DashboardStatusCounts, DatasetDashboard } from "@tessera/shared-crdt/api";
import { activityFileName } from "../live/ActivityLog.js";
import { ActivityDigests } from "./activityDigest.js";
import { labelDistribution } from "./labels.js";
import { readStatsJson } from "./statsJson.js";
import { statusOverTime, throughput, timeSpent, zeroCounts } from "./summary.js";
import { resolveWindow } from "./window.js";

/** The dashboard's query parameters, as the route hands them over (strings, validated here). */
export interface DashboardQuery {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly bucket?: string | undefined;
}

export interface DashboardOptions {
  /** `DATA_DIR/.tessera/activity`: the activity feed's folder (SPEC L-ACTIVITY). */
  readonly activityDir: string;
  /** Wall-clock milliseconds: the default end of the window and `generated_at`. */
  readonly now: () => number;
  /**
   * Derived values cached until the dataset changes (the library's memo): the label counts. Absent → computed on
   * every request.
   */
  readonly memo?: <T>(datasetId: string, key: string, compute: () => Promise<T>) => Promise<T>;
}

/** Records per status now, counted as the explorer counts them: one `status = s` count each, the rest `other`. */
async function currentStatusCounts(handle: DatasetHandle): Promise<{ counts: DashboardStatusCounts; total: number }> {
  const counts = zeroCounts();
  const total = await handle.count("records");
  let workflow = 0;
  for (const s of RECORD_STATUSES) {
    counts[s] = await handle.count("records", { filters: [{ column: "status", op: "eq", values: [s] }] });
    workflow += counts[s];
  }
  counts.other = Math.max(0, total - workflow);
  return { counts, total };
}

/**
 * The per-dataset dashboard (SPEC D-DASH): the activity feed streamed once and then read incrementally, the current
 * statuses and rows from LanceDB, `stats.json` as it is.
 */
export class DashboardService {
  private readonly digests = new ActivityDigests();

  constructor(private readonly options: DashboardOptions) {}

  async summary(handle: DatasetHandle, query: DashboardQuery): Promise<DatasetDashboard> {
    const digest = await this.digests.of(path.join(this.options.activityDir, activityFileName(handle.id)));
    const now = this.options.now();
    const window = resolveWindow(query, now, digest.first);
    const { counts, total } = await currentStatusCounts(handle);
    const labels = (): Promise<DashboardLabelKind[]> => labelDistribution(handle);
    const [labelKinds, stats] = await Promise.all([
      this.options.memo ? this.options.memo(handle.id, "dashboard:labels", labels) : labels(),
      readStatsJson(handle.path),
    ]);
    return {
      dataset_id: handle.id,
      generated_at: new Date(now).toISOString(),
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      bucket: window.bucket,
      current: counts,
      total_records: total,
      status_over_time: statusOverTime(digest, window, counts),
      throughput: throughput(digest, window),
      time_spent: timeSpent(digest, window),
      labels: labelKinds,
      stats_json: stats.entries,
      stats_json_error: stats.error,
      activity: { entries: digest.entries, skipped_lines: digest.skipped },
    };
  }
}
