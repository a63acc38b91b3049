import { nowMs, sleep } from "../clock.js";
import { createCollabDataset, type CollabDataset } from "../gen/collabDataset.js";
import { snapshotTree, usageBetween, type Usage } from "../resources.js";
import type { BenchServer } from "../servers/process.js";
import type { LatencySummary } from "../stats.js";
import { FoldLagTracker } from "./foldLag.js";
import {
  fmt,
  numberOption,
  startBots,
  startKind,
  summarize,
  syncUrl,
  type ScenarioContext,
  type ScenarioOutput,
} from "./common.js";

/**
 * `persist`: N records edited continuously by N bots, one bot per record (a team at scale:
 * each annotator on their own record). Every bot moves its record's box `editsPerSec` times a
 * second; a REST reader polls the dataset's boxes (`GET /datasets/{id}/bboxes`, what Pixano and
 * scripts read) and times each edit from its send to the first answer showing it — the fold lag,
 * which includes the server's flush debounce (1.5 s after the last edit, at most 10 s) and the
 * persist worker's queue and writes. Also reported: the CPU of the persist worker and of the main
 * process over the measured window, the durable acknowledgement, and the time from the end of the
 * edits until REST shows every bot's last edit. Tessera only: the stock server has no storage.
 */
interface PersistParams {
  /** Bot counts, one run each (`--bots 50,200`). */
  readonly bots: readonly number[];
  readonly editsPerSec: number;
  readonly durationS: number;
  /** Edits in the first seconds are not timed (joins, first loads). */
  readonly warmupS: number;
  readonly pollMs: number;
  readonly settleS: number;
}

interface PersistRun {
  readonly bots: number;
  readonly serverStartMs: number;
  readonly editsMade: number;
  readonly editErrors: number;
  /** Edit sent → visible over REST, for edits sent in the window. */
  readonly foldLagMs: LatencySummary;
  /** Edit → durable confirmation at the sender. */
  readonly durableAckMs: LatencySummary;
  /** Edits stop → REST shows every bot's last edit (null: not within `settleS`). */
  readonly drainMs: number | null;
  /** Bots whose last edit REST never showed. */
  readonly unseenAtEnd: number;
  /** REST poll round trips. */
  readonly pollMs: LatencySummary;
  /** CPU (% of one core) over the window: whole tree, main process, persist worker. */
  readonly cpu: { readonly tree: number; readonly main: number | null; readonly worker: number | null };
  readonly usage: Usage;
}

function persistParams(ctx: ScenarioContext): PersistParams {
  const at = ctx.args.indexOf("--bots");
  const raw = at >= 0 ? (ctx.args[at + 1] ?? "") : "50,200";
  const bots = raw.split(",").map(Number);
  if (bots.length === 0 || bots.some((n) => !Number.isSafeInteger(n) || n <= 0 || n > 1000))
    throw new Error(`--bots needs a comma-separated list of counts from 1 to 1000, got "${raw}"`);
  return {
    bots,
    editsPerSec: numberOption(ctx.args, "--edits-per-sec", 0.5),
    durationS: numberOption(ctx.args, "--duration", ctx.full ? 60 : 30),
    warmupS: numberOption(ctx.args, "--warmup-s", 5),
    pollMs: numberOption(ctx.args, "--poll-ms", 250),
    settleS: numberOption(ctx.args, "--settle-s", 60),
  };
}

const recordId = (i: number) => `rec${String(i).padStart(5, "0")}`;

/** `source_metadata` of every box of the dataset, over REST (one page: at most 1,000 boxes). */
async function readBoxes(server: BenchServer, data: CollabDataset): Promise<unknown[]> {
  const res = await fetch(`${server.url}/datasets/${encodeURIComponent(data.datasetId)}/bboxes?limit=1000`, {
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`GET bboxes: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const body = (await res.json()) as { items?: unknown };
  if (!Array.isArray(body.items)) throw new Error("GET bboxes: no items in the answer");
  return body.items.map((r: unknown) =>
    r && typeof r === "object" ? (r as { source_metadata?: unknown }).source_metadata : null,
  );
}

async function persistRun(n: number, p: PersistParams, ctx: ScenarioContext): Promise<PersistRun> {
  const ids = Array.from({ length: n }, (_, i) => recordId(i));
  const data = await createCollabDataset({ label: "persist", records: ids.map((id) => ({ id, boxes: 1 })) });
  const { server } = await startKind("tessera", ctx, { dataDir: data.dataDir });
  const bots = startBots();
  try {
    const specs = ids.map((id, i) => ({
      index: i,
      url: syncUrl(server, data.datasetId, id, `annotator ${i}`),
      recordId: id,
      // Its replica takes the record from the server's first answer (it moves that box), then only writes.
      remote: "initial" as const,
      bboxId: data.boxIds(id, 1)[0] as string,
    }));
    const opened = await bots.call("connect", { specs, concurrency: 50, timeoutMs: 120_000 }, 130_000);
    if (opened.failed > 0) throw new Error(`${opened.failed} bots did not join: ${opened.errors.join("; ")}`);
    ctx.log(`  ${n} bots joined; editing ${p.editsPerSec}/s each for ${p.durationS} s`);

    const periodMs = 1000 / p.editsPerSec;
    const loadStart = nowMs();
    const from = loadStart + p.warmupS * 1000;
    const to = loadStart + p.durationS * 1000;
    const lag = new FoldLagTracker(periodMs, from, to);
    const pollTimes: number[] = [];
    const poll = async () => {
      const t0 = nowMs();
      const metadata = await readBoxes(server, data);
      const at = nowMs();
      pollTimes.push(at - t0);
      lag.observe(at, metadata);
    };
    await bots.call("load", { info: data.info, editsPerSec: p.editsPerSec, awarenessHz: 0 });
    let before = null;
    while (nowMs() < to) {
      if (before === null && nowMs() >= from) before = await snapshotTree(server.pid);
      const next = nowMs() + p.pollMs;
      await poll();
      await sleep(Math.max(1, next - nowMs()));
    }
    const after = await snapshotTree(server.pid);
    const stoppedAt = nowMs();
    await bots.call("stopLoad", {});
    const report = await bots.call("report", { from, to });
    const usage = usageBetween(before ?? after, after);

    // Drain: until REST shows every bot's last edit.
    let drainMs: number | null = null;
    const deadline = stoppedAt + p.settleS * 1000;
    const unseen = () => report.lastEditSeq.filter((s, i) => lag.lastSeen(i) < s).length;
    while (nowMs() < deadline) {
      await poll();
      if (unseen() === 0) {
        drainMs = Math.round(nowMs() - stoppedAt);
        break;
      }
      await sleep(p.pollMs);
    }
    const role = (r: string) => usage.processes.find((x) => x.role === r)?.cpuPercent ?? null;
    const run: PersistRun = {
      bots: n,
      serverStartMs: server.startMs,
      editsMade: report.lastEditSeq.reduce((a, s) => a + s + 1, 0),
      editErrors: report.editErrors,
      foldLagMs: summarize(lag.lagsMs),
      durableAckMs: summarize(report.ackMs),
      drainMs,
      unseenAtEnd: unseen(),
      pollMs: summarize(pollTimes),
      cpu: { tree: usage.cpuPercent, main: role("main"), worker: role("persist worker") },
      usage,
    };
    ctx.log(
      `  ${n} bots: fold lag p50 ${fmt(run.foldLagMs.p50, 0)} ms, p99 ${fmt(run.foldLagMs.p99, 0)} ms; worker CPU ${fmt(run.cpu.worker)} %; drained ${drainMs === null ? `not within ${p.settleS} s` : `in ${drainMs} ms`}`,
    );
    return run;
  } finally {
    await bots.close();
    await server.stop();
    await data.cleanup();
  }
}

export async function runPersist(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = persistParams(ctx);
  ctx.log(`persist: ${p.bots.join(", ")} bots × 1 record each, ${p.editsPerSec} edits/s per bot, ${p.durationS} s`);
  const runs: PersistRun[] = [];
  for (const n of p.bots) runs.push(await persistRun(n, p, ctx));
  return {
    json: { scenario: "persist", parameters: p, runs },
    tables: [
      {
        head: [
          "bots",
          "edits",
          "fold lag p50 / p99 ms",
          "fold lag max ms",
          "ack p50 / p99 ms",
          "worker CPU %",
          "main CPU %",
          "drained after stop",
          "REST poll p50 ms",
        ],
        rows: runs.map((r) => [
          String(r.bots),
          String(r.editsMade),
          `${fmt(r.foldLagMs.p50, 0)} / ${fmt(r.foldLagMs.p99, 0)}`,
          fmt(r.foldLagMs.max, 0),
          `${fmt(r.durableAckMs.p50, 1)} / ${fmt(r.durableAckMs.p99, 1)}`,
          fmt(r.cpu.worker),
          fmt(r.cpu.main),
          r.drainMs === null ? `> ${p.settleS} s (${r.unseenAtEnd} unseen)` : `${r.drainMs} ms`,
          fmt(r.pollMs.p50, 0),
        ]),
      },
    ],
  };
}
