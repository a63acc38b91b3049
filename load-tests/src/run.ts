import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { BenchArgsError, parseBenchArgs, type BenchArgs, type ScenarioName } from "./benchArgs.js";
import { nowMs } from "./clock.js";
import type { ProcessProfile } from "./inspectorProfile.js";
import { runAttacks } from "./scenarios/attacks.js";
import { runBrowseScenario } from "./scenarios/browseScenario.js";
import { runCluster } from "./scenarios/cluster.js";
import type { ScenarioContext, ScenarioOutput, Table } from "./scenarios/common.js";
import { runCrash } from "./scenarios/crash.js";
import { runFanout } from "./scenarios/fanout.js";
import { runInference } from "./scenarios/inference.js";
import { runPreannotate } from "./scenarios/preannotate.js";
import { runTrack } from "./scenarios/track.js";
import { runEmbed } from "./scenarios/embed.js";
import { runImport } from "./scenarios/importScenario.js";
import { runJoin } from "./scenarios/join.js";
import { runPersist } from "./scenarios/persist.js";
import { runRender } from "./scenarios/render.js";
import { runRooms } from "./scenarios/rooms.js";
import { setTesseraRoot } from "./servers/tessera.js";
import { checkoutTree } from "./servers/tree.js";

/**
 * `npm run bench -- SCENARIO [--json] [--full] [--profile] [options]` (repository root) →
 * `tsx src/run.ts` (load-tests). SCENARIO is one of {@link SCENARIOS} or `all` (every scenario
 * in turn with the quick defaults). A table per scenario goes to stdout; with `--json`, one JSON
 * object per scenario instead (progress goes to stderr). Every run writes
 * `load-tests/results/latest.json` with the machine, the commit and the exact command. Options are
 * checked by {@link parseBenchArgs}: one the scenario does not take is an error (exit 2).
 */
const SCENARIOS: Record<ScenarioName, (ctx: ScenarioContext) => Promise<ScenarioOutput>> = {
  fanout: runFanout,
  rooms: runRooms,
  persist: runPersist,
  join: runJoin,
  crash: runCrash,
  browse: runBrowseScenario,
  import: runImport,
  render: runRender,
  attacks: runAttacks,
  inference: runInference,
  preannotate: runPreannotate,
  track: runTrack,
  embed: runEmbed,
  cluster: runCluster,
};

const USAGE = `usage: npm run bench -- <${Object.keys(SCENARIOS).join("|")}|all> [--json] [--full] [--profile] [--seed N] [--at REF] [scenario options]
  --at REF  run the Tessera server (and import CLI) of commit REF instead of the working tree
  fanout  --clients N --rate N --awareness-hz N --duration S --warmup-s S --runs N
  rooms   --rooms N --boxes N --concurrency N --settle-s S --idle-s S --steady-s S --steady-eps N
  persist --bots 50,200 --edits-per-sec N --duration S --warmup-s S --poll-ms N --settle-s S
  join    --joiners 50,200 --ops N --cold-repeats N
  crash   --clients N --runs N
  browse  --records N --reps N --warmup N --page N --rebuild
  import  --records N --per-record N --formats jsonl,v1
  render  (runs client/bench/run.mjs)
  attacks --updates N --entries N --junk-mb N --posts N --phase-timeout-s S
  inference --images N --clicks N --clickers N --edits N --click-hz N --model-dir DIR
  preannotate --records N --edits N --edit-every MS --threshold T --model-dir DIR --image FILE.png
  track --frames N --edits N --edit-every MS
  embed --records N --edits N --edit-every MS
  cluster --processes 1,2,3 --clients N --rate N --awareness-hz N --records N --record-rate N --duration S --warmup-s S`;

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
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim() !== "";
    return dirty ? `${sha}-dirty` : sha;
  } catch (err) {
    // Not a git checkout (or no git): the figures stand, only the provenance is missing.
    console.error(`[bench] cannot read the git commit: ${(err as Error).message}`);
    return "unknown";
  }
}

function printTable(t: Table): void {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  console.log(line(t.head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of t.rows) console.log(line(r));
  console.log("");
}

/** The CPU profiles (`--profile`) found anywhere in a scenario's JSON, printed as their top frames. */
function printProfiles(json: unknown, where = ""): void {
  if (json === null || typeof json !== "object") return;
  if (Array.isArray(json)) {
    json.forEach((x, i) => printProfiles(x, `${where}[${i}]`));
    return;
  }
  for (const [k, v] of Object.entries(json)) {
    if (k === "profile" && Array.isArray(v)) {
      for (const p of v as ProcessProfile[]) {
        if (!p.summary) {
          console.log(`profile ${where} ${p.role} (pid ${p.pid}): ${p.error ?? "none"}`);
          continue;
        }
        const s = p.summary;
        console.log(`profile ${where} ${p.role} (pid ${p.pid}): busy ${s.busyMs} ms of ${s.wallMs} ms`);
        console.log(`  by package: ${s.byPackage.map((f) => `${f.frame} ${f.pct} %`).join(", ")}`);
        console.log(
          `  self:      ${s.topSelf
            .slice(0, 10)
            .map((f) => `${f.frame} ${f.pct} %`)
            .join("\n             ")}`,
        );
        console.log(
          `  inclusive: ${s.topInclusive
            .slice(0, 12)
            .map((f) => `${f.frame} ${f.pct} %`)
            .join("\n             ")}`,
        );
        const lt = s.longTasks;
        if (lt && lt.count > 0) {
          console.log(
            `  long tasks ≥ ${lt.thresholdMs} ms: ${lt.count}, ${lt.totalMs} ms in all; longest ${lt.longest.map((t) => `${t.ms} ms`).join(", ")}`,
          );
          console.log(
            `    in them:  ${lt.topInclusive
              .slice(0, 12)
              .map((f) => `${f.frame} ${f.pct} %`)
              .join("\n               ")}`,
          );
        }
      }
    } else printProfiles(v, where ? `${where}.${k}` : k);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed: BenchArgs;
  try {
    parsed = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof BenchArgsError)) throw err;
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  const names = parsed.scenarios;
  const json = parsed.json;
  const log = (m: string) => console.error(`[bench] ${m}`);
  const seed = parsed.seed ?? Math.floor(Math.random() * 2 ** 31);
  const ctx: ScenarioContext = { full: parsed.full, profile: parsed.profile, args: parsed.rest, seed, log };
  const atRef = parsed.at;
  let serverCommit = `${commit()} (working tree)`;
  if (atRef) {
    const tree = await checkoutTree(atRef, log);
    setTesseraRoot(tree.dir);
    serverCommit = tree.commit.slice(0, 12);
    log(`Tessera runs from ${tree.dir}`);
  }
  const startedAt = new Date().toISOString();
  const before = machine();
  const results: Array<ScenarioOutput["json"] & { seconds: number }> = [];
  const failures: Array<{ scenario: string; error: string }> = [];
  const dir = fileURLToPath(new URL("../results/", import.meta.url));
  await mkdir(dir, { recursive: true });
  const write = () =>
    writeFile(
      `${dir}latest.json`,
      `${JSON.stringify(
        {
          command: `npm run bench -- ${argv.join(" ")}`,
          startedAt,
          commit: commit(),
          serverCommit,
          machine: { ...before, loadAverage1mAtEnd: machine().loadAverage1m },
          seed: ctx.seed,
          full: ctx.full,
          scenarios: results,
          failures,
        },
        null,
        2,
      )}\n`,
    );
  for (const name of names) {
    const run = SCENARIOS[name];
    const t0 = nowMs();
    log(`── ${name} ──`);
    try {
      const out = await run(ctx);
      const seconds = Math.round((nowMs() - t0) / 100) / 10;
      const entry = { ...out.json, seconds, machine: machine(), harnessCommit: commit(), serverCommit };
      results.push(entry);
      if (json) console.log(JSON.stringify(entry));
      else {
        console.log(`## ${name} (${seconds} s)\n`);
        for (const t of out.tables) printTable(t);
        if (ctx.profile) printProfiles(out.json);
      }
      log(`${name} done in ${seconds} s`);
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ scenario: name, error });
      log(`${name} FAILED: ${error}`);
    }
    await write();
  }
  log(`wrote load-tests/results/latest.json`);
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
