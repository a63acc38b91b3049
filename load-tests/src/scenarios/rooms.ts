import { nowMs, sleep } from "../clock.js";
import { createCollabDataset } from "../gen/collabDataset.js";
import type { ProcessProfile } from "../inspectorProfile.js";
import { mainThreadCpuMs, sampleProcesses } from "../procStats.js";
import { snapshotTree, usageBetween, type Usage } from "../resources.js";
import type { ServerKind } from "../servers/process.js";
import type { LatencySummary } from "../stats.js";
import {
  fmt,
  numberOption,
  pendingLogs,
  ratio,
  startKind,
  startProfiling,
  summarize,
  syncUrl,
  watchFolding,
  type ScenarioContext,
  type ScenarioOutput,
} from "./common.js";
import { BotPool, type PoolBurst } from "./botPool.js";

/**
 * `rooms`: many records open at once with one raw-protocol client each (collaboration.md §6 #4):
 * open them all (`concurrency` joins in flight), one edit per record (a new entity with its box —
 * so Tessera has something to make durable and flush), an idle period, then everyone leaves.
 * Reports RSS per open record, idle CPU, the time until every record log is folded (Tessera:
 * `DATA_DIR/.tessera/wal` holds no entries; a room unloads `idleUnloadMs` after its flush), and RSS
 * over the following seconds. The stock server gets each record's content from its client (it has
 * no storage) and, without persistence, never unloads a room. Tessera also gets a steady phase
 * after the idle window (`--steady-s`, `--steady-eps`): edits spread over time, acks apart from the burst's.
 */
interface RoomsParams {
  readonly rooms: number;
  readonly boxesPerRoom: number;
  readonly concurrency: number;
  readonly idleS: number;
  readonly settleS: number;
  /**
   * Tessera's steady phase, after the idle window (0: skipped): every record's client moves its box
   * `steadyEditsPerSec` times a second for `steadyS` seconds, staggered — edits spread at a team's
   * pace rather than the burst of first edits; its acks are reported apart from the burst's.
   */
  readonly steadyS: number;
  readonly steadyEditsPerSec: number;
  /** Bot processes the records' clients are spread over (`--bot-procs`): each sends its share of the burst. */
  readonly botProcs: number;
  /**
   * Each bot sends a sync step 1 right behind its burst edit, on the same socket (off with
   * `--no-marker`): the server's step 2 answer times when it had handled the edit — the stock
   * server's baseline for the burst.
   */
  readonly marker: boolean;
}

/** The burst of first edits on one server: what the bots spent, and what the server's main thread did. */
interface BurstFigures {
  /** Per bot process: making its edits (held, untimed) and sending them at the shared start. */
  readonly prepareMs: number[];
  readonly sendMs: number[];
  /** The shared start → the last frame sent by any process. */
  readonly spreadMs: number;
  /**
   * CPU of the server's main thread from just before the burst until the last edit was confirmed
   * (Tessera) or the thread went idle (stock: nothing to confirm), per edit.
   */
  readonly mainCpuMsPerEdit: number | null;
  /** The shared start → that end point. */
  readonly handledMs: number;
}

interface RoomsSide {
  readonly server: ServerKind;
  readonly serverStartMs: number;
  /** One record's document as a Yjs update (what a client downloads on join). */
  readonly recordBytes: number;
  /** Server RSS before any record is opened (whole tree, and the main process alone). */
  readonly rssBeforeMb: number;
  readonly mainRssBeforeMb: number;
  /** Join → step 2, per record. */
  readonly syncMs: LatencySummary;
  /** First join → last record synced. */
  readonly openAllMs: number;
  readonly failedJoins: number;
  /** Tessera: edit → durable confirmation, one edit per record. */
  readonly durableAckMs: LatencySummary | null;
  /** Both servers (`marker`): edit sent → the server had handled it (its answer to the step 1 behind it). */
  readonly burstProcessedMs: LatencySummary | null;
  readonly burstUnprocessed: number | null;
  readonly burst: BurstFigures;
  readonly unconfirmed: number | null;
  /** Tessera's steady phase: edit → durable confirmation (first 2 s not timed), and the edits timed (null: skipped). */
  readonly steadyAckMs: LatencySummary | null;
  readonly steadyEdits: number | null;
  /** Tessera: the edits were made → every record log folded, with every record still open (null: not within `settleS`). */
  readonly foldedWhileOpenMs: number | null;
  /** Tessera: record logs still holding entries, once a second from the edits on (the persist worker's pace). */
  readonly pendingLogsEachSecond: number[] | null;
  /** Over the idle period with every record open. */
  readonly idle: Usage;
  readonly rssOpenMb: number;
  readonly mainRssOpenMb: number;
  /** (open − before) ÷ rooms: whole tree, and the main process alone (Tessera's tree includes the persist worker). */
  readonly rssPerRoomKb: number;
  readonly mainRssPerRoomKb: number;
  /** Tessera: everyone left → no record log holds entries (null: not within `settleS`). */
  readonly foldedAfterLeaveMs: number | null;
  /** Tessera: record rooms still loaded at each second after everyone left (`/health`'s `Tessera-Rooms-Loaded`). */
  readonly roomsLoadedAfterLeave: number[] | null;
  /** Tessera: ms from leaving until no room was loaded (null: not within the settle time). */
  readonly allUnloadedMs: number | null;
  /** Server RSS at each second after everyone left (whole tree, main process). */
  readonly rssAfterLeaveMb: number[];
  readonly mainRssAfterLeaveMb: number[];
  readonly rssAfterLeaveEndMb: number;
  /** RSS at the end ÷ RSS before opening (target ≤ 1.2 within 60 s). */
  readonly rssEndOverBefore: number;
  /** `--profile`: CPU profile of the server processes from the first join to the end. */
  readonly profile: ProcessProfile[] | null;
}

function roomsParams(ctx: ScenarioContext): RoomsParams {
  return {
    rooms: numberOption(ctx.args, "--rooms", 1000),
    boxesPerRoom: numberOption(ctx.args, "--boxes", 50),
    concurrency: numberOption(ctx.args, "--concurrency", 50),
    idleS: numberOption(ctx.args, "--idle-s", 5),
    settleS: numberOption(ctx.args, "--settle-s", ctx.full ? 60 : 30),
    steadyS: numberOption(ctx.args, "--steady-s", 15),
    steadyEditsPerSec: numberOption(ctx.args, "--steady-eps", 0.05),
    botProcs: numberOption(ctx.args, "--bot-procs", 4),
    marker: !ctx.args.includes("--no-marker"),
  };
}

/** RSS of the whole tree and of its root process, in MB. */
async function rssOf(pid: number): Promise<[number, number]> {
  const procs = await sampleProcesses(pid);
  const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return [mb(procs.reduce((a, p) => a + p.rssBytes, 0)), mb(procs[0]?.rssBytes ?? Number.NaN)];
}

const recordId = (i: number) => `room${String(i).padStart(5, "0")}`;

async function roomsRun(kind: ServerKind, p: RoomsParams, ctx: ScenarioContext): Promise<RoomsSide> {
  const t0 = nowMs();
  const ids = Array.from({ length: p.rooms }, (_, i) => recordId(i));
  // The stock server needs only the content each client uploads (the same for every room).
  const data = await createCollabDataset({
    label: "rooms",
    records:
      kind === "tessera"
        ? ids.map((id) => ({ id, boxes: p.boxesPerRoom }))
        : [{ id: ids[0] as string, boxes: p.boxesPerRoom }],
  });
  ctx.log(`  ${kind}: dataset ready in ${Math.round(nowMs() - t0)} ms`);
  const content = await data.recordUpdate(ids[0] as string);
  const seed = kind === "stock" ? content : undefined;
  const started = await startKind(kind, ctx, { dataDir: data.dataDir });
  const { server } = started;
  const bots = BotPool.start(p.botProcs);
  try {
    await sleep(1000);
    const [rssBeforeMb, mainRssBeforeMb] = await rssOf(server.pid);
    // `--profile-burst`: the profile covers the burst of first edits only (start → last confirmation).
    const profileBurst = ctx.args.includes("--profile-burst");
    let profiler = profileBurst ? null : await startProfiling(started);
    const specs = ids.map((id, i) => ({
      index: i,
      url: syncUrl(server, data.datasetId, id, `user ${i}`),
      recordId: id,
      remote: "none" as const,
      ...(seed ? { seed } : {}),
      ...(p.marker ? { keepJoinState: true } : {}),
    }));
    const opened = await bots.connect(specs, p.concurrency, 300_000);
    const openAllMs = Math.round(opened.lastSyncedAt - opened.startedAt);
    ctx.log(
      `  ${kind}: ${p.rooms - opened.failed} records open in ${openAllMs} ms${opened.failed ? `, ${opened.failed} failed: ${opened.errors.join("; ")}` : ""}`,
    );
    if (profileBurst) profiler = await startProfiling(started);
    const cpuBefore = await mainThreadCpuMs(server.pid);
    const sent = await bots.burstOfFirstEdits(data.info, { marker: p.marker });
    const editedAt = sent.startAt;
    const confirmed = kind === "tessera" ? await bots.waitConfirmed(60_000) : null;
    const processed = p.marker ? await bots.waitProcessed(60_000) : null;
    const burst = await burstFigures(server.pid, cpuBefore, sent, confirmed !== null);
    let burstProfile: ProcessProfile[] | null = null;
    if (profileBurst && profiler) {
      burstProfile = await profiler.stop();
      profiler = null;
    }
    ctx.log(
      `  ${kind}: burst of ${sent.edits} first edits from ${p.botProcs} bot processes: made in ${sent.prepareMs.join(" / ")} ms (untimed), sent in ${sent.sendMs.map((x) => fmt(x, 1)).join(" / ")} ms (all out ${fmt(sent.spreadMs, 1)} ms after the start); server main thread ${fmt(burst.mainCpuMsPerEdit ?? Number.NaN, 3)} ms CPU per edit over ${burst.handledMs} ms`,
    );
    if (processed) {
      const h = summarize(processed.processedMs);
      ctx.log(
        `  ${kind}: burst edits handled (the answer to the step 1 behind each edit) p50 ${fmt(h.p50, 1)} / p99 ${fmt(h.p99, 1)} ms (min ${fmt(h.min, 1)})${processed.unanswered ? `, ${processed.unanswered} unanswered` : ""}`,
      );
    }
    if (confirmed) {
      const a = summarize(confirmed.ackMs);
      ctx.log(
        `  tessera: burst durable ack p50 ${fmt(a.p50, 1)} / p99 ${fmt(a.p99, 1)} ms (min ${fmt(a.min, 1)}), ${confirmed.unconfirmed} unconfirmed`,
      );
    }
    const folding = kind === "tessera" ? await watchFolding(data.dataDir, p.settleS * 1000, editedAt) : null;
    const foldedWhileOpenMs = folding?.foldedMs ?? null;
    if (kind === "tessera")
      ctx.log(
        `  tessera: ${p.rooms} edits folded ${foldedWhileOpenMs === null ? `not within ${p.settleS} s` : `in ${foldedWhileOpenMs} ms`}`,
      );
    await sleep(1000);
    const before = await snapshotTree(server.pid);
    await sleep(p.idleS * 1000);
    const after = await snapshotTree(server.pid);
    const idle = usageBetween(before, after);
    const rssOpenMb = idle.rssMb;
    const mainRssOpenMb = idle.processes[0]?.rssMb ?? Number.NaN;
    ctx.log(`  ${kind}: open RSS ${rssOpenMb} MB (before ${rssBeforeMb} MB), idle CPU ${idle.cpuPercent} %`);
    const steady = kind === "tessera" && p.steadyS > 0 ? await steadyPhase(bots, data.info, p, ctx) : null;
    ctx.log(`  ${kind}: everyone leaves`);
    const left = nowMs();
    await bots.leave(30_000);
    let foldedAfterLeaveMs: number | null = null;
    let allUnloadedMs: number | null = null;
    let roomsLoadedAfterLeave: number[] | null = kind === "tessera" ? [] : null;
    const rssAfterLeaveMb: number[] = [];
    const mainRssAfterLeaveMb: number[] = [];
    for (let s = 1; s <= p.settleS; s++) {
      // Once a second: RSS, and whether every log is folded yet (Tessera).
      while (nowMs() < left + s * 1000) {
        if (kind === "tessera" && foldedAfterLeaveMs === null && (await pendingLogs(data.dataDir)) === 0)
          foldedAfterLeaveMs = Math.round(nowMs() - left);
        await sleep(kind === "tessera" && foldedAfterLeaveMs === null ? 250 : Math.max(1, left + s * 1000 - nowMs()));
      }
      if (roomsLoadedAfterLeave) {
        const loaded = await roomsLoaded(server.url);
        if (loaded === null) roomsLoadedAfterLeave = null;
        else {
          roomsLoadedAfterLeave.push(loaded);
          if (loaded === 0 && allUnloadedMs === null) allUnloadedMs = Math.round(nowMs() - left);
        }
      }
      const [tree, main] = await rssOf(server.pid);
      rssAfterLeaveMb.push(tree);
      mainRssAfterLeaveMb.push(main);
    }
    const rssAfterLeaveEndMb = rssAfterLeaveMb[rssAfterLeaveMb.length - 1] ?? Number.NaN;
    const profile = profiler ? await profiler.stop() : burstProfile;
    await server.stop();
    return {
      server: kind,
      serverStartMs: server.startMs,
      recordBytes: content.length,
      rssBeforeMb,
      mainRssBeforeMb,
      syncMs: summarize(opened.syncMs),
      openAllMs,
      failedJoins: opened.failed,
      durableAckMs: confirmed ? summarize(confirmed.ackMs) : null,
      burstProcessedMs: processed ? summarize(processed.processedMs) : null,
      burstUnprocessed: processed ? processed.unanswered : null,
      burst,
      unconfirmed: confirmed ? confirmed.unconfirmed : null,
      steadyAckMs: steady ? summarize(steady.ackMs) : null,
      steadyEdits: steady ? steady.edits : null,
      foldedWhileOpenMs,
      pendingLogsEachSecond: folding?.pendingEachSecond ?? null,
      idle,
      rssOpenMb,
      mainRssOpenMb,
      rssPerRoomKb: Math.round(((rssOpenMb - rssBeforeMb) * 1024) / p.rooms),
      mainRssPerRoomKb: Math.round(((mainRssOpenMb - mainRssBeforeMb) * 1024) / p.rooms),
      foldedAfterLeaveMs,
      roomsLoadedAfterLeave,
      allUnloadedMs,
      rssAfterLeaveMb,
      mainRssAfterLeaveMb,
      rssAfterLeaveEndMb,
      rssEndOverBefore: Math.round((rssAfterLeaveEndMb / rssBeforeMb) * 100) / 100,
      profile,
    };
  } finally {
    await bots.close();
    await server.stop();
    await data.cleanup();
  }
}

/**
 * Record rooms the Tessera server holds in memory now (`GET /health`, header `Tessera-Rooms-Loaded`);
 * null from a server that does not say (commits before the header, with `--at`).
 */
async function roomsLoaded(url: string): Promise<number | null> {
  const res = await fetch(`${url}/health`);
  await res.arrayBuffer();
  const header = res.headers.get("tessera-rooms-loaded");
  return header === null ? null : Number(header);
}

/**
 * The server main thread's CPU over the burst. Tessera: from before the burst to the last
 * confirmation (just read). Stock (nothing confirms): until the thread's CPU time stops growing for
 * 200 ms (sampled every 50 ms; the clock ticks are 10 ms), within 30 s.
 */
async function burstFigures(
  pid: number,
  before: number | null,
  sent: PoolBurst,
  acked: boolean,
): Promise<BurstFigures> {
  let after = await mainThreadCpuMs(pid);
  let end = nowMs();
  if (!acked) {
    let still = 0;
    const deadline = nowMs() + 30_000;
    while (still < 4 && nowMs() < deadline) {
      await sleep(50);
      const now = await mainThreadCpuMs(pid);
      if (now !== null && now === after) still++;
      else {
        still = 0;
        after = now;
        end = nowMs();
      }
    }
  }
  const cpu = before !== null && after !== null ? after - before : null;
  return {
    prepareMs: sent.prepareMs,
    sendMs: sent.sendMs,
    spreadMs: sent.spreadMs,
    mainCpuMsPerEdit: cpu === null || sent.edits === 0 ? null : Math.round((cpu / sent.edits) * 1000) / 1000,
    handledMs: Math.round(end - sent.startAt),
  };
}

/** Tessera's steady phase (see {@link RoomsParams.steadyS}): the acks of edits spread over time. */
async function steadyPhase(
  bots: BotPool,
  info: Record<string, unknown>,
  p: RoomsParams,
  ctx: ScenarioContext,
): Promise<{ ackMs: number[]; edits: number }> {
  const start = nowMs();
  await bots.load(info, p.steadyEditsPerSec);
  await sleep(p.steadyS * 1000);
  await bots.stopLoad();
  const waited = await bots.waitConfirmed(30_000);
  const report = await bots.report(start + 2000, start + p.steadyS * 1000);
  const ackMs = summarize(report.ackMs);
  ctx.log(
    `  tessera: steady phase, ${report.editsInWindow} edits over ${p.steadyS - 2} s (${p.rooms} rooms × ${p.steadyEditsPerSec}/s): ack p50 ${fmt(ackMs.p50, 1)} / p99 ${fmt(ackMs.p99, 1)} ms${waited.unconfirmed ? `, ${waited.unconfirmed} unconfirmed` : ""}`,
  );
  return { ackMs: report.ackMs, edits: report.editsInWindow };
}

export async function runRooms(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = roomsParams(ctx);
  ctx.log(`rooms: ${p.rooms} records × 1 client, ${p.boxesPerRoom} boxes each; settle ${p.settleS} s after leaving`);
  const stock = await roomsRun("stock", p, ctx);
  const tessera = await roomsRun("tessera", p, ctx);
  const ratios = {
    rssPerRoom: ratio(tessera.rssPerRoomKb, stock.rssPerRoomKb),
    mainRssPerRoom: ratio(tessera.mainRssPerRoomKb, stock.mainRssPerRoomKb),
    rssOpen: ratio(tessera.rssOpenMb, stock.rssOpenMb),
    rssAfterLeave: ratio(tessera.rssAfterLeaveEndMb, stock.rssAfterLeaveEndMb),
    syncP99: ratio(tessera.syncMs.p99, stock.syncMs.p99),
    burstMainCpuPerEdit: ratio(
      tessera.burst.mainCpuMsPerEdit ?? Number.NaN,
      stock.burst.mainCpuMsPerEdit ?? Number.NaN,
    ),
    /** Tessera's durable ack p99 ÷ the stock server's handled p99, same burst, same run. */
    burstAckOverStockHandledP99: ratio(
      tessera.durableAckMs?.p99 ?? Number.NaN,
      stock.burstProcessedMs?.p99 ?? Number.NaN,
    ),
    burstHandledP99: ratio(tessera.burstProcessedMs?.p99 ?? Number.NaN, stock.burstProcessedMs?.p99 ?? Number.NaN),
  };
  ctx.log(
    `rooms: join p99 ${fmt(ratios.syncP99, 2)} × stock; burst: server main-thread CPU per first edit ${fmt(tessera.burst.mainCpuMsPerEdit ?? Number.NaN, 3)} ms vs stock ${fmt(stock.burst.mainCpuMsPerEdit ?? Number.NaN, 3)} ms (${fmt(ratios.burstMainCpuPerEdit, 2)} ×); Tessera durable ack p99 ${fmt(tessera.durableAckMs?.p99 ?? Number.NaN, 1)} ms`,
  );
  if (p.marker)
    ctx.log(
      `rooms: burst of ${p.rooms} first edits: Tessera durable ack p99 ${fmt(tessera.durableAckMs?.p99 ?? Number.NaN, 1)} ms ÷ stock handled p99 ${fmt(stock.burstProcessedMs?.p99 ?? Number.NaN, 1)} ms = ${fmt(ratios.burstAckOverStockHandledP99, 2)} ×; handled p99 Tessera ${fmt(tessera.burstProcessedMs?.p99 ?? Number.NaN, 1)} ms = ${fmt(ratios.burstHandledP99, 2)} × stock`,
    );
  const row = (s: RoomsSide) => [
    s.server,
    fmt(s.rssBeforeMb, 0),
    `${fmt(s.rssOpenMb, 0)} (${fmt(s.mainRssOpenMb, 0)})`,
    `${s.rssPerRoomKb} (${s.mainRssPerRoomKb})`,
    `${fmt(s.syncMs.p50, 1)} / ${fmt(s.syncMs.p99, 1)}`,
    String(s.openAllMs),
    s.burstProcessedMs ? `${fmt(s.burstProcessedMs.p50, 1)} / ${fmt(s.burstProcessedMs.p99, 1)}` : "n/a",
    s.durableAckMs ? `${fmt(s.durableAckMs.p50, 1)} / ${fmt(s.durableAckMs.p99, 1)}` : "n/a",
    `${fmt(s.burst.mainCpuMsPerEdit ?? Number.NaN, 3)} (${fmt(Math.max(...s.burst.sendMs), 1)})`,
    s.steadyAckMs ? `${fmt(s.steadyAckMs.p50, 1)} / ${fmt(s.steadyAckMs.p99, 1)} (${s.steadyEdits ?? 0})` : "n/a",
    s.server === "tessera" ? (s.foldedWhileOpenMs === null ? `> ${p.settleS} s` : `${s.foldedWhileOpenMs} ms`) : "n/a",
    `${fmt(s.idle.cpuPercent)} (${fmt(s.idle.processes[0]?.cpuPercent)})`,
    s.server === "tessera"
      ? s.foldedAfterLeaveMs === null
        ? `> ${p.settleS} s`
        : `${s.foldedAfterLeaveMs} ms`
      : "never (no storage)",
    `${fmt(s.rssAfterLeaveMb[4] ?? Number.NaN, 0)} / ${fmt(s.rssAfterLeaveEndMb, 0)}`,
    fmt(s.rssEndOverBefore, 2),
    s.roomsLoadedAfterLeave === null
      ? s.server === "stock"
        ? "never (no unload)"
        : "not reported"
      : `${s.allUnloadedMs === null ? `> ${p.settleS} s` : `${s.allUnloadedMs} ms`} (${s.roomsLoadedAfterLeave.slice(0, 5).join(", ")}…)`,
  ];
  return {
    json: { scenario: "rooms", parameters: p, tessera, stock, ratios },
    tables: [
      {
        head: [
          "server",
          "RSS before MB",
          "RSS open MB (main)",
          "KB/room (main)",
          "sync p50 / p99 ms",
          "open all ms",
          "burst handled p50 / p99 ms",
          "burst ack p50 / p99 ms",
          "burst: main-thread CPU ms per edit (slowest bot send loop ms)",
          "steady ack p50 / p99 ms (edits)",
          "edits folded",
          "idle CPU % (main)",
          "folded after leave",
          `RSS +5 s / +${p.settleS} s MB`,
          "end ÷ before",
          "all rooms unloaded (loaded each second)",
        ],
        rows: [
          row(stock),
          row(tessera),
          [
            "tessera ÷ stock",
            "",
            fmt(ratios.rssOpen, 2),
            `${fmt(ratios.rssPerRoom, 2)} (${fmt(ratios.mainRssPerRoom, 2)})`,
            `p99 ${fmt(ratios.syncP99, 2)}`,
            "",
            `p99 ${fmt(ratios.burstHandledP99, 2)}`,
            `p99 ÷ stock handled p99: ${fmt(ratios.burstAckOverStockHandledP99, 2)}`,
            fmt(ratios.burstMainCpuPerEdit, 2),
            "",
            "",
            "",
            "",
            fmt(ratios.rssAfterLeave, 2),
            "",
            "",
          ],
        ],
      },
    ],
  };
}
