import { For, Show } from "solid-js";
import type { Finding, ImportPlan } from "../../api/io.js";

const FORMAT_TITLES: Record<string, string> = {
  pixano_jsonl: "Pixano JSONL v2",
  pixano_v1: "Pixano folder v1 (metadata.jsonl)",
  media: "Media only",
  coco: "COCO instances",
};

function where(f: Finding): string {
  const s = f.samples[0];
  if (!s?.file) return "";
  return `${s.file}${s.line !== null ? `:${s.line}` : ""}${s.json_pointer ? ` ${s.json_pointer}` : ""}`;
}

/** A dry run's plan: detected format, target, records per split, rows per table, errors and warnings. */
export function ImportReport(props: { plan: ImportPlan }) {
  const findings = () => Object.values(props.plan.report.findings);
  return (
    <div class="io-report">
      <p>
        Format <strong data-testid="import-detected">{FORMAT_TITLES[props.plan.format] ?? props.plan.format}</strong>
        <Show when={props.plan.target}>
          {(t) => (
            <>
              {" "}
              → dataset <strong>{t().name}</strong> ({t().workspace}, {t().mode === "add" ? "adding to it" : "new"})
            </>
          )}
        </Show>
      </p>
      <div class="io-tables">
        <table class="account-table" data-testid="import-splits">
          <thead>
            <tr>
              <th>Split</th>
              <th>Records</th>
            </tr>
          </thead>
          <tbody>
            <For each={Object.entries(props.plan.splits)}>
              {([s, n]) => (
                <tr>
                  <td>{s}</td>
                  <td>{n?.toLocaleString() ?? "?"}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <table class="account-table" data-testid="import-tables">
          <thead>
            <tr>
              <th>Table</th>
              <th>Rows</th>
            </tr>
          </thead>
          <tbody>
            <For each={Object.entries(props.plan.table_counts ?? {})}>
              {([t, n]) => (
                <tr>
                  <td>{t}</td>
                  <td>{n.toLocaleString()}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={findings().length > 0} fallback={<p class="muted">No errors, no warnings.</p>}>
        <ul class="io-findings" data-testid="import-findings">
          <For each={findings()}>
            {(f) => (
              <li class={f.severity === "error" ? "error-text" : "muted"} data-severity={f.severity}>
                <strong>{f.severity === "error" ? "Error" : "Warning"}</strong> {f.code}
                {f.count > 1 ? ` (${f.count}×)` : ""}: {f.message ?? ""} <span class="mono">{where(f)}</span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </div>
  );
}
