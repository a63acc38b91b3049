import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { runBrowse, type BrowseReport } from "./scenarios/browse.js";

/**
 * `npm run bench -- <scenario> [--json] [options]` (root) → `tsx src/run.ts` (load-tests).
 *
 * Scenarios: `browse` (REST browsing of a 1M-record dataset). Without `--json` a table is printed;
 * with it, one JSON object per measured query on stdout (progress goes to stderr). Every run
 * writes `load-tests/results/latest.json` with the machine and the exact command.
 *
 * Options: `--records N` (default 1000000), `--reps N` (default 200), `--warmup N` (default 5),
 * `--page N` (default 20), `--rebuild` (regenerate the cached dataset).
 */
const USAGE = "usage: npm run bench -- browse [--json] [--records N] [--reps N] [--warmup N] [--page N] [--rebuild]";

function option(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    /** 1-minute load average: other work on the machine inflates tail latencies. */
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** The commit measured (with "-dirty" when the tree has changes), or "unknown" outside git. */
function commit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim() !== "";
    return dirty ? `${sha}-dirty` : sha;
  } catch (err) {
    // Not a git checkout (or no git): the figures stand, only the provenance is missing.
    console.error(`[bench] cannot read the git commit: ${(err as Error).message}`);
    return "unknown";
  }
}

function printTable(report: BrowseReport): void {
  const g = report.dataset.generation;
  console.log(`dataset ${report.dataset.datasetId}: ${report.dataset.records.toLocaleString("en")} records (built in ${g.seconds} s, ${g.rowsPerSecond.toLocaleString("en")} rows/s, peak RSS ${g.peakRssMb} MB)`);
  console.log(`server start: ${report.serverStartMs} ms\n`);
  const head = ["query", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU ms/req", "RSS MB", "response"];
  const rows = report.results.map((r) => [
    r.query,
    String(r.latencyMs.n),
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p95.toFixed(1),
    r.latencyMs.p99.toFixed(1),
    r.latencyMs.max.toFixed(1),
    r.serverCpuMsPerRequest.toFixed(1),
    String(r.serverRssMb),
    r.errors ? `${r.errors} errors: ${r.firstError ?? ""}` : JSON.stringify(r.sample),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

async function main(argv: readonly string[]): Promise<number> {
  const [scenario, ...args] = argv;
  if (scenario !== "browse") {
    console.error(USAGE);
    return 2;
  }
  const json = args.includes("--json");
  const log = (m: string) => console.error(`[bench] ${m}`);
  const params = {
    records: option(args, "--records", 1_000_000),
    repetitions: option(args, "--reps", 200),
    warmup: option(args, "--warmup", 5),
    pageSize: option(args, "--page", 20),
  };
  if (args.includes("--rebuild")) log("--rebuild: the cached dataset is regenerated");
  const startedAt = new Date().toISOString();
  const before = machine();
  const report = await runBrowse({ ...params, log, rebuild: args.includes("--rebuild") });
  const out = {
    command: `npm run bench -- ${argv.join(" ")}`,
    startedAt,
    commit: commit(),
    machine: { ...before, loadAverage1mAtEnd: machine().loadAverage1m },
    scenario,
    parameters: params,
    dataset: { id: report.dataset.datasetId, records: report.dataset.records, generation: report.dataset.generation },
    serverStartMs: report.serverStartMs,
    results: report.results,
  };
  const dir = fileURLToPath(new URL("../results/", import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}latest.json`, `${JSON.stringify(out, null, 2)}\n`);
  if (json) for (const r of report.results) console.log(JSON.stringify({ ...r, machine: out.machine, dataset: out.dataset }));
  else printTable(report);
  log(`wrote load-tests/results/latest.json`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
