import { nowMs, sleep } from "../clock.js";
import { createCollabDataset } from "../gen/collabDataset.js";
import type { ProfileSummary } from "../profile.js";
import { snapshotTree, treeRssMb, usageBetween, type Usage } from "../resources.js";
import type { ServerKind } from "../servers/process.js";
import type { LatencySummary } from "../stats.js";
import { fmt, numberOption, pendingLogs, ratio, startBots, startKind, stopKind, summarize, syncUrl, type ScenarioContext, type ScenarioOutput } from "./common.js";

/**
 * `rooms`: many records open at once with one raw-protocol client each (collaboration.md §6 #4):
 * open them all (`concurrency` joins in flight), one edit per record (a new entity with its box —
 * so Tessera has something to make durable and flush), an idle period, then everyone leaves.
 * Reports RSS per open record, idle CPU, the time until every record log is folded (Tessera:
 * `DATA_DIR/.tessera/wal` holds no entries; a room unloads `idleUnloadMs` after its flush), and RSS
 * over the following seconds. The stock server gets each record's content from its client (it has
 * no storage) and, without persistence, never unloads a room.
 */
export interface RoomsParams {
  readonly rooms: number;
  readonly boxesPerRoom: number;
  readonly concurrency: number;
  readonly idleS: number;
  readonly settleS: number;
}

export interface RoomsSide {
  readonly server: ServerKind;
  readonly serverStartMs: number;
  /** Server RSS before any record is opened. */
  readonly rssBeforeMb: number;
  /** Join → step 2, per record. */
  readonly syncMs: LatencySummary;
  /** First join → last record synced. */
  readonly openAllMs: number;
  readonly failedJoins: number;
  /** Tessera: edit → durable confirmation, one edit per record. */
  readonly durableAckMs: LatencySummary | null;
  readonly unconfirmed: number | null;
  /** Over the idle period with every record open. */
  readonly idle: Usage;
  readonly rssOpenMb: number;
  readonly rssPerRoomKb: number;
  /** Tessera: everyone left → no record log holds entries (null: not within `settleS`). */
  readonly foldedAfterLeaveMs: number | null;
  /** Server RSS at each second after everyone left. */
  readonly rssAfterLeaveMb: number[];
  readonly rssAfterLeaveEndMb: number;
  /** RSS at the end ÷ RSS before opening (target ≤ 1.2 within 60 s). */
  readonly rssEndOverBefore: number;
  readonly profile: ProfileSummary[] | null;
}

export function roomsParams(ctx: ScenarioContext): RoomsParams {
  return {
    rooms: numberOption(ctx.args, "--rooms", 1000),
    boxesPerRoom: numberOption(ctx.args, "--boxes", 50),
    concurrency: numberOption(ctx.args, "--concurrency", 50),
    idleS: numberOption(ctx.args, "--idle-s", 5),
    settleS: numberOption(ctx.args, "--settle-s", ctx.full ? 60 : 30),
  };
}

const recordId = (i: number) => `room${String(i).padStart(5, "0")}`;

async function roomsRun(kind: ServerKind, p: RoomsParams, ctx: ScenarioContext): Promise<RoomsSide> {
  const t0 = nowMs();
  const ids = Array.from({ length: p.rooms }, (_, i) => recordId(i));
  // The stock server needs only the content each client uploads (the same for every room).
  const data = await createCollabDataset({ label: "rooms", records: kind === "tessera" ? ids.map((id) => ({ id, boxes: p.boxesPerRoom })) : [{ id: ids[0] as string, boxes: p.boxesPerRoom }] });
  ctx.log(`  ${kind}: dataset ready in ${Math.round(nowMs() - t0)} ms`);
  const seed = kind === "stock" ? await data.recordUpdate(ids[0] as string) : undefined;
  const started = await startKind(kind, ctx, { dataDir: data.dataDir });
  const { server } = started;
  const bots = startBots();
  let profile: ProfileSummary[] | null = null;
  try {
    await sleep(1000);
    const rssBeforeMb = await treeRssMb(server.pid);
    const specs = ids.map((id, i) => ({ index: i, url: syncUrl(server, data.datasetId, id, `user ${i}`), recordId: id, remote: "none" as const, ...(seed ? { seed } : {}) }));
    const opened = await bots.call("connect", { specs, concurrency: p.concurrency, timeoutMs: 300_000 }, 320_000);
    const openAllMs = Math.round(opened.lastSyncedAt - opened.startedAt);
    ctx.log(`  ${kind}: ${p.rooms - opened.failed} records open in ${openAllMs} ms${opened.failed ? `, ${opened.failed} failed: ${opened.errors.join("; ")}` : ""}`);
    const created = await bots.call("createOnce", { info: data.info });
    if (created.errors > 0) throw new Error(`${created.errors} edits failed: ${created.firstError}`);
    const confirmed = kind === "tessera" ? await bots.call("waitConfirmed", { timeoutMs: 60_000 }, 70_000) : null;
    await sleep(1000);
    const before = await snapshotTree(server.pid);
    await sleep(p.idleS * 1000);
    const after = await snapshotTree(server.pid);
    const idle = usageBetween(before, after);
    const rssOpenMb = idle.rssMb;
    ctx.log(`  ${kind}: open RSS ${rssOpenMb} MB (before ${rssBeforeMb} MB), idle CPU ${idle.cpuPercent} %; everyone leaves`);
    const left = nowMs();
    await bots.call("leave", { timeoutMs: 30_000 }, 40_000);
    let foldedAfterLeaveMs: number | null = null;
    const rssAfterLeaveMb: number[] = [];
    for (let s = 1; s <= p.settleS; s++) {
      // Once a second: RSS, and whether every log is folded yet (Tessera).
      while (nowMs() < left + s * 1000) {
        if (kind === "tessera" && foldedAfterLeaveMs === null && (await pendingLogs(data.dataDir)) === 0) foldedAfterLeaveMs = Math.round(nowMs() - left);
        await sleep(kind === "tessera" && foldedAfterLeaveMs === null ? 250 : Math.max(1, left + s * 1000 - nowMs()));
      }
      rssAfterLeaveMb.push(await treeRssMb(server.pid));
    }
    const rssAfterLeaveEndMb = rssAfterLeaveMb[rssAfterLeaveMb.length - 1] ?? Number.NaN;
    profile = await stopKind(started);
    return {
      server: kind,
      serverStartMs: server.startMs,
      rssBeforeMb,
      syncMs: summarize(opened.syncMs),
      openAllMs,
      failedJoins: opened.failed,
      durableAckMs: confirmed ? summarize(confirmed.ackMs) : null,
      unconfirmed: confirmed ? confirmed.unconfirmed : null,
      idle,
      rssOpenMb,
      rssPerRoomKb: Math.round(((rssOpenMb - rssBeforeMb) * 1024) / p.rooms),
      foldedAfterLeaveMs,
      rssAfterLeaveMb,
      rssAfterLeaveEndMb,
      rssEndOverBefore: Math.round((rssAfterLeaveEndMb / rssBeforeMb) * 100) / 100,
      profile,
    };
  } finally {
    await bots.close();
    if (!profile) await server.stop();
    await data.cleanup();
  }
}

export async function runRooms(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = roomsParams(ctx);
  ctx.log(`rooms: ${p.rooms} records × 1 client, ${p.boxesPerRoom} boxes each; settle ${p.settleS} s after leaving`);
  const stock = await roomsRun("stock", p, ctx);
  const tessera = await roomsRun("tessera", p, ctx);
  const ratios = {
    rssPerRoom: ratio(tessera.rssPerRoomKb, stock.rssPerRoomKb),
    rssOpen: ratio(tessera.rssOpenMb, stock.rssOpenMb),
    rssAfterLeave: ratio(tessera.rssAfterLeaveEndMb, stock.rssAfterLeaveEndMb),
    syncP99: ratio(tessera.syncMs.p99, stock.syncMs.p99),
  };
  const row = (s: RoomsSide) => [
    s.server,
    fmt(s.rssBeforeMb, 0),
    fmt(s.rssOpenMb, 0),
    String(s.rssPerRoomKb),
    `${fmt(s.syncMs.p50, 1)} / ${fmt(s.syncMs.p99, 1)}`,
    String(s.openAllMs),
    s.durableAckMs ? `${fmt(s.durableAckMs.p50, 1)} / ${fmt(s.durableAckMs.p99, 1)}` : "n/a",
    fmt(s.idle.cpuPercent),
    s.server === "tessera" ? (s.foldedAfterLeaveMs === null ? `> ${p.settleS} s` : `${s.foldedAfterLeaveMs} ms`) : "never (no storage)",
    `${fmt(s.rssAfterLeaveMb[4] ?? Number.NaN, 0)} / ${fmt(s.rssAfterLeaveEndMb, 0)}`,
    fmt(s.rssEndOverBefore, 2),
  ];
  return {
    json: { scenario: "rooms", parameters: p, tessera, stock, ratios },
    tables: [
      {
        head: ["server", "RSS before MB", "RSS open MB", "KB/room", "sync p50 / p99 ms", "open all ms", "ack p50 / p99 ms", "idle CPU %", "all logs folded", `RSS +5 s / +${p.settleS} s MB`, "end ÷ before"],
        rows: [row(stock), row(tessera), ["tessera ÷ stock", "", fmt(ratios.rssOpen, 2), fmt(ratios.rssPerRoom, 2), "", "", "", "", "", fmt(ratios.rssAfterLeave, 2), ""]],
      },
    ],
  };
}
