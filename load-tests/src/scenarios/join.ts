import { rowIds } from "@tessera/shared-crdt";
import * as Y from "yjs";
import { Bot, REMOTE } from "../bots/Bot.js";
import { sleep } from "../clock.js";
import { createCollabDataset, type CollabDataset } from "../gen/collabDataset.js";
import { buildHistoryDoc, type HistoryDoc } from "../gen/historyDoc.js";
import type { ProcessProfile } from "../inspectorProfile.js";
import { treeRssMb } from "../resources.js";
import type { BenchServer, ServerKind } from "../servers/process.js";
import type { LatencySummary } from "../stats.js";
import {
  fmt,
  numberOption,
  probe,
  ratio,
  startBots,
  startKind,
  startProfiling,
  summarize,
  syncUrl,
  waitLogsFolded,
  type ScenarioContext,
  type ScenarioOutput,
  type StartedServer,
} from "./common.js";

/**
 * `join`: join storms on one record whose document carries a long editing history (10,000
 * operations by default: collaboration.md §4.3 and §6 #6–#7). The history is uploaded once by a
 * client that stays connected; then 50 and 200 raw-protocol clients join at once and each records
 * when its step 2 arrived (without decoding it, so the load generator does not time itself).
 * Tessera also measures cold loads from storage: a storm on the unloaded record, single joins of
 * the unloaded record, and the first join after a restart. The stock server keeps everything in
 * memory and has no cold load.
 */
interface JoinParams {
  readonly joiners: readonly number[];
  readonly ops: number;
  readonly coldRepeats: number;
}

interface Storm {
  readonly joiners: number;
  /** Join → step 2 per client. */
  readonly syncMs: LatencySummary;
  /** First join → last client synced. */
  readonly allSyncedMs: number;
  readonly failed: number;
  /** Why, for the first few that failed (the bot's last error). */
  readonly errors: readonly string[];
  readonly rssAfterMb: number;
}

interface JoinSide {
  readonly server: ServerKind;
  readonly storms: readonly Storm[];
  /** Tessera: the same storms on the record after it unloaded (load from snapshot, once, then serve). */
  readonly coldStorms: readonly Storm[] | null;
  /** Tessera: one client joining the unloaded record (snapshot → step 2), repeated. */
  readonly coldJoinMs: LatencySummary | null;
  /** Tessera: the first join after a restart of the server (cold process and record). */
  readonly firstJoinAfterRestartMs: number | null;
  readonly restartMs: number | null;
  readonly peakRssMb: number;
  /** `--profile`: CPU profile of the server processes over the storms and cold loads. */
  readonly profile: ProcessProfile[] | null;
}

function joinParams(ctx: ScenarioContext): JoinParams {
  const at = ctx.args.indexOf("--joiners");
  const joiners =
    at >= 0
      ? (ctx.args[at + 1] ?? "")
          .split(",")
          .map(Number)
          .filter((n) => n > 0)
      : [50, 200];
  return {
    joiners,
    ops: numberOption(ctx.args, "--ops", 10_000),
    coldRepeats: numberOption(ctx.args, "--cold-repeats", ctx.full ? 20 : 8),
  };
}

const RECORD = "history";
/** Longer than Tessera's idle-unload delay (1 s) plus a no-op flush. */
const UNLOAD_WAIT_MS = 2500;

async function storm(server: BenchServer, data: CollabDataset, n: number, label: string): Promise<Storm> {
  const bots = startBots(`joiners-${label}`);
  try {
    const specs = Array.from({ length: n }, (_, i) => ({
      index: i,
      url: syncUrl(server, data.datasetId, RECORD, `joiner ${i}`),
      recordId: RECORD,
      remote: "none" as const,
    }));
    const r = await bots.call("connect", { specs, concurrency: n, timeoutMs: 120_000 }, 130_000);
    const rssAfterMb = await treeRssMb(server.pid);
    await bots.call("leave", { timeoutMs: 10_000 });
    return {
      joiners: n,
      syncMs: summarize(r.syncMs),
      allSyncedMs: Math.round(r.lastSyncedAt - r.startedAt),
      failed: r.failed,
      errors: r.errors,
      rssAfterMb,
    };
  } finally {
    await bots.close();
  }
}

async function singleJoin(server: BenchServer, data: CollabDataset): Promise<number> {
  const bot = new Bot({ url: syncUrl(server, data.datasetId, RECORD, "cold joiner"), remote: "none" });
  try {
    bot.connect();
    if (!(await Promise.race([bot.whenSynced(), sleep(30_000).then(() => false)])))
      throw new Error(`cold join did not sync: ${bot.lastError ?? "timeout"}`);
    return Math.round(bot.syncMs * 100) / 100;
  } finally {
    bot.destroy();
  }
}

async function joinRun(
  kind: ServerKind,
  p: JoinParams,
  history: HistoryDoc,
  data: CollabDataset,
  ctx: ScenarioContext,
): Promise<JoinSide> {
  // The author stays connected through the loaded-record storms: with the largest storm that is one
  // connection over the server's default of 200 per record (a 503 at the upgrade), so the limit is
  // raised to hold the author, the storm and the probe.
  const env = { TESSERA_WS_PER_RECORD: String(Math.max(...p.joiners) + 2) };
  let started: StartedServer = await startKind(kind, ctx, { dataDir: data.dataDir, env });
  let profile: ProcessProfile[] | null = null;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, history.update, REMOTE);
  const holder = new Bot({ url: syncUrl(started.server, data.datasetId, RECORD, "author"), remote: "none", doc });
  try {
    holder.connect();
    if (!(await holder.whenSynced())) throw new Error(`the author did not sync: ${holder.lastError}`);
    // Wait until the server holds the whole history (Tessera validates and logs it first).
    await probe(
      syncUrl(started.server, data.datasetId, RECORD, "probe"),
      (b) => rowIds(b.doc, "entities").length,
      (v) => v === history.liveEntities,
      60_000,
    );
    ctx.log(`  ${kind}: history uploaded (${history.update.length} bytes, ${history.liveEntities} live entities)`);
    const profiler = await startProfiling(started);
    const storms: Storm[] = [];
    for (const n of p.joiners) {
      const s = await storm(started.server, data, n, `${kind}-${n}`);
      ctx.log(
        `  ${kind}: ${n} joiners: all synced in ${s.allSyncedMs} ms (p50 ${s.syncMs.p50}, p99 ${s.syncMs.p99})${s.failed ? `, ${s.failed} failed: ${s.errors.join("; ")}` : ""}`,
      );
      storms.push(s);
    }
    let coldStorms: Storm[] | null = null;
    let coldJoinMs: LatencySummary | null = null;
    let firstJoinAfterRestartMs: number | null = null;
    let restartMs: number | null = null;
    if (kind === "tessera") {
      holder.leave();
      if ((await waitLogsFolded(data.dataDir, 60_000)) === null)
        throw new Error("the record log was not folded within 60 s");
      coldStorms = [];
      for (const n of p.joiners) {
        await sleep(UNLOAD_WAIT_MS);
        const s = await storm(started.server, data, n, `cold-${n}`);
        ctx.log(
          `  tessera: ${n} joiners on the unloaded record: all synced in ${s.allSyncedMs} ms${s.failed ? `, ${s.failed} failed: ${s.errors.join("; ")}` : ""}`,
        );
        coldStorms.push(s);
      }
      const cold: number[] = [];
      for (let i = 0; i < p.coldRepeats; i++) {
        await sleep(UNLOAD_WAIT_MS);
        cold.push(await singleJoin(started.server, data));
      }
      coldJoinMs = summarize(cold);
      ctx.log(`  tessera: cold join p50 ${coldJoinMs.p50} ms, max ${coldJoinMs.max} ms`);
      const peak = await treeRssMb(started.server.pid);
      profile = profiler ? await profiler.stop() : null;
      await started.server.stop();
      started = await startKind(kind, { ...ctx, profile: false }, { dataDir: data.dataDir, env });
      restartMs = started.server.startMs;
      firstJoinAfterRestartMs = await singleJoin(started.server, data);
      ctx.log(`  tessera: restart ${restartMs} ms, first join ${firstJoinAfterRestartMs} ms`);
      await started.server.stop();
      return {
        server: kind,
        storms,
        coldStorms,
        coldJoinMs,
        firstJoinAfterRestartMs,
        restartMs,
        peakRssMb: peak,
        profile,
      };
    }
    const peak = await treeRssMb(started.server.pid);
    holder.leave();
    profile = profiler ? await profiler.stop() : null;
    await started.server.stop();
    return {
      server: kind,
      storms,
      coldStorms,
      coldJoinMs,
      firstJoinAfterRestartMs,
      restartMs,
      peakRssMb: peak,
      profile,
    };
  } finally {
    holder.destroy();
    await started.server.stop();
  }
}

export async function runJoin(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = joinParams(ctx);
  const data = await createCollabDataset({ label: "join", records: [{ id: RECORD, boxes: 0 }] });
  try {
    const history = buildHistoryDoc(data.info, RECORD, p.ops);
    ctx.log(
      `join: a ${p.ops}-operation history (${history.update.length} bytes, ${history.liveEntities} live entities, built in ${history.buildMs} ms); storms of ${p.joiners.join(", ")}`,
    );
    const stock = await joinRun("stock", p, history, data, ctx);
    const tessera = await joinRun("tessera", p, history, data, ctx);
    const ratios = Object.fromEntries(
      p.joiners.map((n, i) => [
        `allSynced${n}`,
        ratio(tessera.storms[i]?.allSyncedMs ?? Number.NaN, stock.storms[i]?.allSyncedMs ?? Number.NaN),
      ]),
    );
    const stormRow = (label: string, s: Storm) => [
      label,
      String(s.joiners),
      fmt(s.syncMs.p50, 1),
      fmt(s.syncMs.p99, 1),
      fmt(s.syncMs.max, 1),
      String(s.allSyncedMs),
      String(s.failed),
      fmt(s.rssAfterMb, 0),
    ];
    return {
      json: {
        scenario: "join",
        parameters: p,
        document: {
          ops: history.ops,
          bytes: history.update.length,
          liveEntities: history.liveEntities,
          avgUpdateBytes: history.avgUpdateBytes,
        },
        tessera,
        stock,
        ratios,
      },
      tables: [
        {
          head: ["server", "joiners", "sync p50 ms", "p99 ms", "max ms", "all synced ms", "failed", "RSS after MB"],
          rows: [
            ...stock.storms.map((s) => stormRow("stock (in memory)", s)),
            ...tessera.storms.map((s) => stormRow("tessera (loaded)", s)),
            ...(tessera.coldStorms ?? []).map((s) => stormRow("tessera (cold: from snapshot)", s)),
          ],
        },
        {
          head: ["tessera cold load", "p50 ms", "p95 ms", "p99 ms", "max ms"],
          rows: [
            [
              "one join of the unloaded record",
              fmt(tessera.coldJoinMs?.p50),
              fmt(tessera.coldJoinMs?.p95),
              fmt(tessera.coldJoinMs?.p99),
              fmt(tessera.coldJoinMs?.max),
            ],
            [
              `first join after a restart (restart ${tessera.restartMs ?? "—"} ms)`,
              fmt(tessera.firstJoinAfterRestartMs),
              "",
              "",
              "",
            ],
          ],
        },
      ],
    };
  } finally {
    await data.cleanup();
  }
}
