import { createMemo, Show } from "solid-js";
import type { IoJob } from "../../api/io.js";

function seconds(s: number): string {
  if (!Number.isFinite(s)) return "…";
  if (s < 60) return `${Math.max(0, Math.round(s))} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/**
 * A job's live progress: bar, records done of total, records/s and ETA (measured from what this
 * page saw, so a page opened mid-job still gets a rate), the final counts, or its error.
 */
export function JobProgress(props: { job: IoJob; onCancel?: () => void }) {
  let first: { t: number; done: number } | null = null;
  const rate = createMemo(() => {
    const done = props.job.progress.done ?? 0;
    const now = props.job.updated_at;
    if (props.job.status !== "running" || done === 0) return null;
    if (!first) first = { t: now, done };
    const dt = now - first.t;
    return dt > 0.2 ? (done - first.done) / dt : null;
  });
  const total = () => props.job.progress.total ?? null;
  const done = () => props.job.progress.done ?? 0;
  const pct = () => (total() ? Math.min(100, (100 * done()) / (total() ?? 1)) : props.job.status === "done" ? 100 : 0);
  const running = () => props.job.status === "pending" || props.job.status === "running";
  return (
    <div class="io-progress" data-status={props.job.status}>
      <progress max="100" value={pct()} aria-label="Progress" data-testid="job-bar" />
      <div class="row">
        <span data-testid="job-status">
          {props.job.status === "pending"
            ? "Waiting for the job before it…"
            : props.job.status === "running"
              ? `${props.job.progress.phase === "finalize" ? "Finalizing" : "Writing"}: ${done().toLocaleString()}${total() !== null ? ` / ${total()?.toLocaleString()}` : ""} records`
              : props.job.status === "done"
                ? props.job.kind === "import"
                  ? `Done: ${props.job.progress.message ?? ""}`
                  : "Done"
                : props.job.status === "cancelled"
                  ? "Cancelled: nothing was added to the library."
                  : `Failed: ${props.job.error.message ?? "unknown error"}`}
        </span>
        <Show when={rate()}>
          {(r) => (
            <span class="muted" data-testid="job-rate">
              {Math.round(r()).toLocaleString()} records/s · ETA {seconds(((total() ?? done()) - done()) / r())}
            </span>
          )}
        </Show>
        <span class="spacer" />
        <Show when={running() && props.onCancel}>
          <button class="btn danger" data-testid="job-cancel" onClick={() => props.onCancel?.()}>
            Cancel
          </button>
        </Show>
      </div>
      <Show when={props.job.status === "done" && props.job.progress.table_counts}>
        {(c) => (
          <p class="muted" data-testid="job-counts">
            {Object.entries(c())
              .map(([t, n]) => `${t} ${n.toLocaleString()}`)
              .join(" · ")}
          </p>
        )}
      </Show>
    </div>
  );
}
