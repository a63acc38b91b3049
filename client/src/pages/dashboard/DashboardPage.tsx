import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { DASHBOARD_STATUSES, type DashboardStatus, type DatasetDashboard } from "@tessera/shared-crdt/api";
import { getDashboard } from "../../api/dashboard.js";
import { navigate } from "../../app/router.js";
import { explorerRoute } from "../../app/routes.js";
import { liveFor, onStatusChange } from "../../live/liveStore.js";
import type { Identity } from "../../session.js";
import { ChartCard, DataTable, GroupedBars, HBars, Histogram, StackedArea, type Series } from "./charts.js";
import { bucketLabel, formatDuration, topCategories } from "./plotMath.js";
import { statsBars } from "./statsJson.js";
import "./dashboard.css";

/**
 * A dataset's dashboard (`#/dashboard/<dataset>`, SPEC D-DASH): status counts over time, throughput per person,
 * time spent per record, label distribution and the dataset's `stats.json` histograms. It refreshes when the
 * dataset's live channel reports a status change, every 30 s, and on demand.
 */

const STATUS_LABELS: Record<DashboardStatus, string> = {
  new: "New",
  inProgress: "In progress",
  inReview: "In review",
  validated: "Validated",
  other: "Other status",
};
const STATUS_SERIES: readonly Series[] = DASHBOARD_STATUSES.map((s) => ({
  key: s,
  label: STATUS_LABELS[s],
  color: `var(--ch-${s})`,
}));
const THROUGHPUT_SERIES: readonly Series[] = [
  { key: "submitted", label: "Submitted", color: "var(--ch-inReview)" },
  { key: "approved", label: "Approved", color: "var(--ch-validated)" },
  { key: "rejected", label: "Rejected", color: "var(--ch-rejected)" },
];
const WINDOWS = [
  { id: "all", label: "Everything", hours: null },
  { id: "24h", label: "Last 24 hours", hours: 24 },
  { id: "7d", label: "Last 7 days", hours: 24 * 7 },
  { id: "30d", label: "Last 30 days", hours: 24 * 30 },
] as const;
type WindowId = (typeof WINDOWS)[number]["id"];
/** Polling period when nothing is heard on the live channel. */
const POLL_MS = 30_000;
/** Status changes arriving together are fetched once, after this. */
const LIVE_DEBOUNCE_MS = 800;
/** …and once more this long after the last one. */
const LIVE_SETTLE_MS = 6000;
const MAX_CATEGORIES = 15;

export function DashboardPage(props: { datasetId: string; identity: Identity }) {
  const [windowId, setWindowId] = createSignal<WindowId>("all");
  const [bucket, setBucket] = createSignal<"auto" | "hour" | "day">("auto");
  const [tick, setTick] = createSignal(0);
  const refresh = () => setTick(tick() + 1);
  const [dash] = createResource(
    () => ({ id: props.datasetId, w: windowId(), b: bucket(), t: tick() }),
    async ({ id, w, b }): Promise<DatasetDashboard> => {
      const hours = WINDOWS.find((x) => x.id === w)?.hours ?? null;
      const from = hours === null ? undefined : new Date(Date.now() - hours * 3_600_000).toISOString();
      return getDashboard(id, { ...(from ? { from } : {}), bucket: b });
    },
  );
  // Live: a status change on this dataset refreshes the numbers (coalesced); polling covers a silent channel.
  liveFor(props.datasetId, props.identity);
  // Twice: soon, and once more after the record's room has flushed its statuses to the table (a transition made
  // in a workspace reaches the rows a few seconds after the live channel reports it).
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let soon: ReturnType<typeof setTimeout> | null = null;
  let settled: ReturnType<typeof setTimeout> | null = null;
  const later = (ms: number, then: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      then();
    }, ms);
    timers.add(t);
    return t;
  };
  onCleanup(
    onStatusChange((c) => {
      if (c.datasetId !== props.datasetId) return;
      soon ??= later(LIVE_DEBOUNCE_MS, () => {
        soon = null;
        refresh();
      });
      if (settled !== null) clearTimeout(settled);
      settled = later(LIVE_SETTLE_MS, () => {
        settled = null;
        refresh();
      });
    }),
  );
  const poll = setInterval(refresh, POLL_MS);
  onCleanup(() => {
    clearInterval(poll);
    for (const t of timers) clearTimeout(t);
  });
  // The last answer stays on screen while the next one loads.
  const data = (): DatasetDashboard | undefined => (dash.state === "errored" ? undefined : dash.latest);

  return (
    <div class="content dashboard" data-testid="dashboard-page">
      <div class="toolbar dash-toolbar">
        <h1>Dashboard · {props.datasetId}</h1>
        <span class="spacer" />
        <a
          class="btn ghost"
          href={`#/explorer/${encodeURIComponent(props.datasetId)}`}
          onClick={(e) => (e.preventDefault(), navigate(explorerRoute(props.datasetId)))}
        >
          Open the explorer
        </a>
        <label class="dash-field">
          Window{" "}
          <select
            class="input"
            value={windowId()}
            onChange={(e) => setWindowId(e.currentTarget.value as WindowId)}
            data-testid="dash-window"
          >
            <For each={WINDOWS}>{(w) => <option value={w.id}>{w.label}</option>}</For>
          </select>
        </label>
        <label class="dash-field">
          Buckets{" "}
          <select
            class="input"
            value={bucket()}
            onChange={(e) => setBucket(e.currentTarget.value as "auto" | "hour" | "day")}
            data-testid="dash-bucket"
          >
            <option value="auto">Automatic</option>
            <option value="hour">Hours</option>
            <option value="day">Days</option>
          </select>
        </label>
        <button type="button" class="btn" onClick={refresh} data-testid="dash-refresh">
          Refresh
        </button>
      </div>
      <Show when={dash.error as unknown}>
        {(err) => (
          <p class="dash-error" role="alert">
            Cannot load the dashboard: {err() instanceof Error ? (err() as Error).message : String(err())}
          </p>
        )}
      </Show>
      <Show when={data()} fallback={<div class="empty">Loading…</div>}>
        {(d) => <Dashboard d={d()} />}
      </Show>
    </div>
  );
}

function Dashboard(props: { d: DatasetDashboard }) {
  const d = () => props.d;
  const range = () => `${bucketLabel(d().from, "hour")} – ${bucketLabel(d().to, "hour")} UTC`;
  return (
    <>
      <p class="muted dash-range" data-testid="dash-range">
        {range()}, by {d().bucket}; {d().activity.entries.toLocaleString()} activity entries. Updated{" "}
        {new Date(d().generated_at).toLocaleTimeString()}.
      </p>
      <ul class="dash-tiles" aria-label="Records by status now">
        <For each={DASHBOARD_STATUSES}>
          {(s) => (
            <li class="dash-tile" data-testid={`current-${s}`} data-count={d().current[s]}>
              <i style={{ background: `var(--ch-${s})` }} />
              <span class="dash-tile-n">{d().current[s].toLocaleString()}</span>
              <span class="muted">{STATUS_LABELS[s]}</span>
            </li>
          )}
        </For>
        <li class="dash-tile" data-testid="time-median" data-seconds={d().time_spent.median_seconds}>
          <span class="dash-tile-n">{formatDuration(d().time_spent.median_seconds)}</span>
          <span class="muted">median time per record (p90 {formatDuration(d().time_spent.p90_seconds)})</span>
        </li>
      </ul>
      <div class="dash-grid">
        <StatusCard d={d()} />
        <ThroughputCard d={d()} />
        <TimeCard d={d()} />
        <For each={d().labels}>
          {(k) => {
            const items = () =>
              topCategories(
                [...k.categories.map((c) => ({ label: c.category, count: c.count }))].concat(
                  k.others > 0 ? [{ label: "others", count: k.others }] : [],
                ),
                MAX_CATEGORIES,
              );
            return (
              <ChartCard
                title={`Labels: ${k.kind}`}
                desc={`${k.total} ${k.kind} rows by category.`}
                testId={`labels-${k.kind}`}
                chart={() => (
                  <HBars
                    title={`${k.kind} by category`}
                    desc={items()
                      .map((i) => `${i.label}: ${i.count}`)
                      .join(", ")}
                    items={items()}
                    color="var(--ch-inProgress)"
                  />
                )}
                table={() => (
                  <DataTable
                    caption={`${k.kind} by category`}
                    head={["Category", "Rows"]}
                    rows={items().map((i) => [i.label, String(i.count)])}
                  />
                )}
              />
            );
          }}
        </For>
        <Show when={d().stats_json_error}>
          {(e) => (
            <p class="dash-error" role="status">
              {e()}
            </p>
          )}
        </Show>
        <For each={d().stats_json ?? []}>
          {(entry) => {
            const bars = () => statsBars(entry);
            return (
              <ChartCard
                title={`stats.json: ${entry.name}`}
                desc={`Pixano's ${entry.type} histogram of ${entry.name}, all splits.`}
                testId={`stats-${entry.name}`}
                chart={() => {
                  const b = bars();
                  return b.kind === "numerical" ? (
                    <Histogram
                      title={`${entry.name} histogram`}
                      desc={b.bins.map((x) => `${x.start}–${x.end}: ${x.count}`).join(", ")}
                      bins={b.bins}
                      format={(v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))}
                      color="var(--ch-other)"
                    />
                  ) : (
                    <HBars
                      title={`${entry.name} counts`}
                      desc={b.items.map((i) => `${i.label}: ${i.count}`).join(", ")}
                      items={b.items}
                      color="var(--ch-other)"
                    />
                  );
                }}
                table={() => {
                  const b = bars();
                  return (
                    <DataTable
                      caption={`stats.json ${entry.name}`}
                      head={[entry.name, "Count"]}
                      rows={
                        b.kind === "numerical"
                          ? b.bins.map((x) => [`${x.start} – ${x.end}`, String(x.count)])
                          : b.items.map((i) => [i.label, String(i.count)])
                      }
                    />
                  );
                }}
              />
            );
          }}
        </For>
      </div>
    </>
  );
}

function StatusCard(props: { d: DatasetDashboard }) {
  const labels = () => props.d.status_over_time.map((p) => bucketLabel(p.start, props.d.bucket));
  const points = () => props.d.status_over_time.map((p) => ({ ...p.counts }));
  const desc = () => {
    const last = props.d.status_over_time.at(-1)?.counts;
    return last
      ? `Records per status at the end of each ${props.d.bucket}; now ${DASHBOARD_STATUSES.map((s) => `${STATUS_LABELS[s]} ${last[s]}`).join(", ")}.`
      : "No data.";
  };
  return (
    <ChartCard
      title="Status over time"
      desc={desc()}
      testId="chart-status"
      legend={STATUS_SERIES}
      chart={() => (
        <StackedArea
          title="Records per status over time"
          desc={desc()}
          labels={labels()}
          points={points()}
          series={STATUS_SERIES}
        />
      )}
      table={() => (
        <DataTable
          caption="Records per status at the end of each bucket (UTC)"
          head={["Bucket", ...STATUS_SERIES.map((s) => s.label)]}
          rows={props.d.status_over_time.map((p, i) => [
            labels()[i] ?? p.start,
            ...DASHBOARD_STATUSES.map((s) => String(p.counts[s])),
          ])}
        />
      )}
    />
  );
}

function ThroughputCard(props: { d: DatasetDashboard }) {
  const people = () => props.d.throughput;
  const desc = () =>
    people().length === 0
      ? "Nobody submitted, approved or rejected a record in this window."
      : people()
          .map((p) => `${p.user.name}: ${p.submitted} submitted, ${p.approved} approved, ${p.rejected} rejected`)
          .join("; ");
  return (
    <ChartCard
      title="Throughput per person"
      desc={desc()}
      testId="chart-throughput"
      legend={THROUGHPUT_SERIES}
      empty={people().length === 0}
      chart={() => (
        <GroupedBars
          title="Records submitted, approved and rejected per person"
          desc={desc()}
          groups={people().map((p) => p.user.name)}
          values={people().map((p) => ({ submitted: p.submitted, approved: p.approved, rejected: p.rejected }))}
          series={THROUGHPUT_SERIES}
        />
      )}
      table={() => (
        <DataTable
          caption={`Per person, per ${props.d.bucket} (UTC)`}
          head={["Person", "Bucket", "Submitted", "Approved", "Rejected"]}
          rows={people().flatMap((p) => [
            [p.user.name, "Total", String(p.submitted), String(p.approved), String(p.rejected)],
            ...p.buckets.map((b) => [
              p.user.name,
              bucketLabel(b.start, props.d.bucket),
              String(b.submitted),
              String(b.approved),
              String(b.rejected),
            ]),
          ])}
        />
      )}
    />
  );
}

function TimeCard(props: { d: DatasetDashboard }) {
  const t = () => props.d.time_spent;
  const desc = () =>
    t().records === 0
      ? "No edits in this window."
      : `${t().records} records edited; median ${formatDuration(t().median_seconds)}, 90th percentile ${formatDuration(t().p90_seconds)} per record.`;
  return (
    <ChartCard
      title="Time spent per record"
      desc={desc()}
      testId="chart-time"
      empty={t().records === 0}
      chart={() => (
        <>
          <Histogram
            title="Records by time spent"
            desc={desc()}
            bins={t().histogram.map((b) => ({ start: b.bin_start, end: b.bin_end, count: b.count }))}
            format={formatDuration}
            color="var(--ch-inProgress)"
          />
          <p class="muted dash-note">{desc()} Time spent: first to last edit of each edit batch, summed.</p>
        </>
      )}
      table={() => (
        <DataTable
          caption="Time spent per person (over the records they edited)"
          head={["Person", "Records", "Total", "Median", "p90"]}
          rows={t().per_person.map((p) => [
            p.user.name,
            String(p.records),
            formatDuration(p.total_seconds),
            formatDuration(p.median_seconds),
            formatDuration(p.p90_seconds),
          ])}
        />
      )}
    />
  );
}
