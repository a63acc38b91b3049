import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { nowMs } from "../clock.js";
import { ensureImportSource, type ImportSource } from "../gen/importSources.js";
import type { ProcessProfile } from "../inspectorProfile.js";
import { sampleProcesses } from "../procStats.js";
import { summarizeProfileDir } from "../profile.js";
import { repoRoot, tesseraRoot } from "../servers/tessera.js";
import { fmt, numberOption, type ScenarioContext, type ScenarioOutput } from "./common.js";

/**
 * `import`: the real CLI (`node bin/tessera.mjs data import DATA_DIR SOURCE --json`) as a child
 * process on a generated Pixano JSONL v2 source (media by uri) and a v1 folder (embedded tiny
 * images, thumbnails made): wall time, rows/s, CPU and peak RSS of the import process tree (sampled
 * from /proc every 100 ms; `VmHWM` at the end). Tessera only — the stock Yjs server imports nothing.
 */
export interface ImportParams {
  readonly records: number;
  readonly annotationsPerRecord: number;
}

export interface ImportRun {
  readonly format: ImportSource["format"];
  readonly records: number;
  readonly annotations: number;
  readonly sourceMb: number;
  readonly seconds: number;
  readonly rows: number;
  readonly rowsPerSecond: number;
  readonly recordsPerSecond: number;
  readonly annotationsPerSecond: number;
  readonly tables: Record<string, number>;
  /** CPU time of the import process tree ÷ wall time, in % of one core. */
  readonly cpuPercent: number;
  readonly peakRssMb: number;
  readonly warnings: number;
  /** `--profile`: the import process's CPU profile (`node --cpu-prof`). */
  readonly profile: ProcessProfile[] | null;
}

export function importParams(ctx: ScenarioContext): ImportParams {
  return {
    records: numberOption(ctx.args, "--records", ctx.full ? 100_000 : 10_000),
    annotationsPerRecord: numberOption(ctx.args, "--per-record", 10),
  };
}

interface CliReport {
  readonly records: number;
  readonly tables: Record<string, number>;
  readonly warnings: readonly unknown[];
}

async function importOnce(source: ImportSource, ctx: ScenarioContext): Promise<ImportRun> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-bench-import-"));
  try {
    const profileDir = ctx.profile ? path.join(root, "profile") : null;
    const t0 = nowMs();
    const child = spawn(process.execPath, [...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), `${tesseraRoot()}bin/tessera.mjs`, "data", "import", path.join(root, "data"), source.dir, "--json"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const pid = child.pid ?? -1;
    let peak = 0;
    let cpuMs = 0;
    const sample = async () => {
      const procs = await sampleProcesses(pid);
      if (procs.length === 0) return;
      peak = Math.max(peak, procs.reduce((a, p) => a + p.peakRssBytes, 0));
      cpuMs = Math.max(cpuMs, procs.reduce((a, p) => a + p.cpuMs, 0));
    };
    const timer = setInterval(() => void sample(), 100);
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    clearInterval(timer);
    const seconds = (nowMs() - t0) / 1000;
    if (code !== 0) throw new Error(`tessera data import exited with ${code}:\n${stderr}`);
    const report = JSON.parse(stdout) as CliReport;
    const rows = Object.values(report.tables).reduce((a, n) => a + n, 0);
    const annotations = report.tables.bboxes ?? 0;
    const run: ImportRun = {
      format: source.format,
      records: report.records,
      annotations,
      sourceMb: Math.round((source.bytes / 2 ** 20) * 10) / 10,
      seconds: Math.round(seconds * 10) / 10,
      rows,
      rowsPerSecond: Math.round(rows / seconds),
      recordsPerSecond: Math.round(report.records / seconds),
      annotationsPerSecond: Math.round(annotations / seconds),
      tables: report.tables,
      // The last sample is up to 100 ms old: CPU is a slight underestimate.
      cpuPercent: Math.round((cpuMs / (seconds * 1000)) * 1000) / 10,
      peakRssMb: Math.round(peak / 2 ** 20),
      warnings: report.warnings.length,
      profile: profileDir ? (await summarizeProfileDir(profileDir)).map((summary) => ({ role: "import", pid, summary, error: null })) : null,
    };
    ctx.log(`  ${source.format}: ${run.records} records, ${rows} rows in ${run.seconds} s (${run.rowsPerSecond} rows/s), peak RSS ${run.peakRssMb} MB`);
    return run;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function runImport(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = importParams(ctx);
  ctx.log(`import: ${p.records.toLocaleString("en")} records × ${p.annotationsPerRecord} boxes through the CLI, JSONL v2 then v1`);
  const runs: ImportRun[] = [];
  for (const format of ["pixano_jsonl", "pixano_v1"] as const) {
    const source = await ensureImportSource(format, p.records, p.annotationsPerRecord, ctx.log);
    runs.push(await importOnce(source, ctx));
  }
  return {
    json: { scenario: "import", parameters: p, runs },
    tables: [
      {
        head: ["format", "records", "annotations", "source MB", "seconds", "rows/s", "records/s", "annotations/s", "CPU %", "peak RSS MB", "warnings"],
        rows: runs.map((r) => [
          r.format === "pixano_jsonl" ? "JSONL v2 (uri media)" : "v1 folder (embedded images)",
          String(r.records),
          String(r.annotations),
          fmt(r.sourceMb),
          fmt(r.seconds),
          String(r.rowsPerSecond),
          String(r.recordsPerSecond),
          String(r.annotationsPerSecond),
          fmt(r.cpuPercent),
          String(r.peakRssMb),
          String(r.warnings),
        ]),
      },
    ],
  };
}
