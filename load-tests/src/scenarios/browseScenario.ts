import { runBrowse } from "./browse.js";
import { fmt, latencyCells, numberOption, type ScenarioContext, type ScenarioOutput } from "./common.js";

/**
 * `browse`: REST browsing of a 1,000,000-record dataset (see `browse.ts`), Tessera only — the
 * stock Yjs server has no REST API. Quick default: 50 repetitions per query; `--full`: 200.
 */
export async function runBrowseScenario(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const params = {
    records: numberOption(ctx.args, "--records", 1_000_000),
    repetitions: numberOption(ctx.args, "--reps", ctx.full ? 200 : 50),
    warmup: numberOption(ctx.args, "--warmup", 5),
    pageSize: numberOption(ctx.args, "--page", 20),
  };
  if (ctx.args.includes("--rebuild")) ctx.log("--rebuild: the cached dataset is regenerated");
  const report = await runBrowse({ ...params, log: ctx.log, rebuild: ctx.args.includes("--rebuild") });
  const g = report.dataset.generation;
  return {
    json: {
      scenario: "browse",
      parameters: params,
      dataset: { id: report.dataset.datasetId, records: report.dataset.records, generation: g },
      serverStartMs: report.serverStartMs,
      pixanoComparison:
        "skipped: building 1,000,000 records with Pixano 0.8 takes hours on this machine (see RESULTS.md)",
      results: report.results,
    },
    tables: [
      {
        head: ["query", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU ms/req", "RSS MB", "response"],
        rows: report.results.map((r) => [
          r.query,
          String(r.latencyMs.n),
          ...latencyCells(r.latencyMs),
          fmt(r.serverCpuMsPerRequest),
          String(r.serverRssMb),
          r.errors ? `${r.errors} errors: ${r.firstError ?? ""}` : JSON.stringify(r.sample).slice(0, 70),
        ]),
      },
    ],
  };
}
