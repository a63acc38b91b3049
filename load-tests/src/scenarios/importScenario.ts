import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { nowMs } from "../clock.js";
import { ensureImportSource, type ImportSource } from "../gen/importSources.js";
import type { ProcessProfile } from "../inspectorProfile.js";
import { sampleProcesses } from "../procStats.js";
import { summarizeProfileDir } from "../profile.js";
import { repoRoot, tesseraRoot } from "../servers/tessera.js";
import { fmt, numberOption, ratio, type ScenarioContext, type ScenarioOutput } from "./common.js";

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${err.slice(-1000)}`)),
    );
  });
}

/**
 * `import`: the real CLI (`node bin/tessera.mjs data import DATA_DIR SOURCE --json`) as a child
 * process on a generated Pixano JSONL v2 source (media by uri) and a v1 folder (embedded tiny
 * images, thumbnails made): wall time, rows/s, CPU and peak RSS of the import process tree (sampled
 * from /proc every 100 ms; `VmHWM` at the end). The baseline is Pixano 0.8's own importer on the
 * same JSONL v2 source (`pixano data import DATA_DIR SOURCE --yes`), when a Pixano install is found
 * (`PIXANO_BIN`, default `/work/pixano-venv/bin/pixano`); Pixano 0.8's CLI no longer reads v1
 * folders (it converts them with `migrate-jsonl`), so v1 has no baseline.
 */
interface ImportParams {
  readonly records: number;
  readonly annotationsPerRecord: number;
  /** Sources to import (`--formats jsonl,v1`, default both): at 100,000 records v1 alone takes minutes. */
  readonly formats: ReadonlyArray<ImportSource["format"]>;
}

class ImportOptionError extends Error {
  override name = "ImportOptionError";
}

const FORMAT_NAMES: Readonly<Record<string, ImportSource["format"]>> = { jsonl: "pixano_jsonl", v1: "pixano_v1" };

function formatsOption(args: readonly string[]): Array<ImportSource["format"]> {
  const at = args.indexOf("--formats");
  if (at < 0) return ["pixano_jsonl", "pixano_v1"];
  const names = (args[at + 1] ?? "").split(",").filter((n) => n !== "");
  const formats = names.map((n) => FORMAT_NAMES[n]);
  if (formats.length === 0 || formats.some((f) => f === undefined))
    throw new ImportOptionError(`--formats takes a comma-separated list of ${Object.keys(FORMAT_NAMES).join(", ")}`);
  return formats.filter((f): f is ImportSource["format"] => f !== undefined);
}

interface ImportRun {
  /** Who imported: Tessera's CLI, or Pixano's (baseline). */
  readonly importer: "tessera" | "pixano";
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

function importParams(ctx: ScenarioContext): ImportParams {
  return {
    records: numberOption(ctx.args, "--records", ctx.full ? 100_000 : 10_000),
    annotationsPerRecord: numberOption(ctx.args, "--per-record", 10),
    formats: formatsOption(ctx.args),
  };
}

interface CliReport {
  readonly records: number;
  readonly tables: Record<string, number>;
  readonly warnings: readonly unknown[];
}

const PIXANO_BIN = process.env.PIXANO_BIN ?? "/work/pixano-venv/bin/pixano";

/** Rows a source makes: each record, its image, and per box an entity and the box. */
function rowsOf(source: ImportSource): Record<string, number> {
  return { records: source.records, images: source.records, entities: source.annotations, bboxes: source.annotations };
}

async function importOnce(
  source: ImportSource,
  ctx: ScenarioContext,
  importer: ImportRun["importer"],
): Promise<ImportRun> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-bench-import-"));
  try {
    const profileDir = ctx.profile && importer === "tessera" ? path.join(root, "profile") : null;
    if (importer === "pixano") await run(PIXANO_BIN, ["init", path.join(root, "data")]);
    const [command, args] =
      importer === "tessera"
        ? [
            process.execPath,
            [
              ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
              `${tesseraRoot()}bin/tessera.mjs`,
              "data",
              "import",
              path.join(root, "data"),
              source.dir,
              "--json",
            ],
          ]
        : [PIXANO_BIN, ["data", "import", path.join(root, "data"), source.dir, "--yes"]];
    const t0 = nowMs();
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
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
      peak = Math.max(
        peak,
        procs.reduce((a, p) => a + p.peakRssBytes, 0),
      );
      cpuMs = Math.max(
        cpuMs,
        procs.reduce((a, p) => a + p.cpuMs, 0),
      );
    };
    const timer = setInterval(() => void sample(), 100);
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    clearInterval(timer);
    const seconds = (nowMs() - t0) / 1000;
    if (code !== 0) throw new Error(`${importer} data import exited with ${code}:\n${stderr}\n${stdout.slice(-2000)}`);
    // Pixano prints a summary, not JSON: the rows are the source's (checked by its "imported successfully").
    if (importer === "pixano" && !/imported successfully \((\d+) record/.test(stdout))
      throw new Error(`pixano data import did not report success:\n${stdout.slice(-2000)}`);
    const report: CliReport =
      importer === "tessera"
        ? (JSON.parse(stdout) as CliReport)
        : { records: source.records, tables: rowsOf(source), warnings: [] };
    const rows = Object.values(report.tables).reduce((a, n) => a + n, 0);
    const annotations = report.tables.bboxes ?? 0;
    const out: ImportRun = {
      importer,
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
      profile: profileDir
        ? (await summarizeProfileDir(profileDir)).map((summary) => ({ role: "import", pid, summary, error: null }))
        : null,
    };
    ctx.log(
      `  ${importer} ${source.format}: ${out.records} records, ${rows} rows in ${out.seconds} s (${out.rowsPerSecond} rows/s), peak RSS ${out.peakRssMb} MB`,
    );
    return out;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function runImport(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = importParams(ctx);
  ctx.log(
    `import: ${p.records.toLocaleString("en")} records × ${p.annotationsPerRecord} boxes through the CLI (${p.formats.join(", ")})`,
  );
  const runs: ImportRun[] = [];
  for (const format of p.formats) {
    const source = await ensureImportSource(format, p.records, p.annotationsPerRecord, ctx.log);
    runs.push(await importOnce(source, ctx, "tessera"));
    if (format === "pixano_jsonl") {
      if (existsSync(PIXANO_BIN)) runs.push(await importOnce(source, ctx, "pixano"));
      else ctx.log(`  no Pixano at ${PIXANO_BIN} (set PIXANO_BIN): no baseline`);
    }
  }
  const tessV2 = runs.find((r) => r.importer === "tessera" && r.format === "pixano_jsonl");
  const pixV2 = runs.find((r) => r.importer === "pixano");
  const ratios =
    tessV2 && pixV2
      ? { seconds: ratio(tessV2.seconds, pixV2.seconds), peakRss: ratio(tessV2.peakRssMb, pixV2.peakRssMb) }
      : null;
  return {
    json: { scenario: "import", parameters: p, runs, ratiosTesseraOverPixano: ratios },
    tables: [
      {
        head: [
          "importer",
          "format",
          "records",
          "annotations",
          "source MB",
          "seconds",
          "rows/s",
          "records/s",
          "annotations/s",
          "CPU %",
          "peak RSS MB",
          "warnings",
        ],
        rows: runs.map((r) => [
          r.importer,
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
