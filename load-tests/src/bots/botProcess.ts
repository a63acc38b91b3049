import { monitorEventLoopDelay } from "node:perf_hooks";
import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  parseDatasetInfo,
  updateRow,
  type DatasetSchema,
  type DocContext,
  withCustom,
} from "@tessera/shared-crdt";
import { nowMs, sleep } from "../clock.js";
import { Bot, REMOTE, type BotCounters } from "./Bot.js";
import type { BotCommands, BotSpec } from "./commands.js";
import { serveRpc } from "./rpc.js";
import { movedCoords, stampMetadata } from "./stamps.js";

/**
 * A load-generator process: hundreds of raw-protocol {@link Bot}s, driven by the runner over IPC
 * (`RpcChild<BotCommands>`). Each bot moves its own box at a fixed rate through the shared-crdt
 * mutators (so every edit is one the server accepts) and sends awareness at a fixed rate.
 */
interface Driven {
  readonly spec: BotSpec;
  readonly bot: Bot;
  seq: number;
  /** Send time of every edit. */
  readonly editTimes: number[];
  readonly awarenessTimes: number[];
  ctx: DocContext | null;
  timers: NodeJS.Timeout[];
  /** The box `load` moves: the spec's, else the one `createOnce` created (the rooms scenario's steady phase). */
  box: string | null;
}

const driven: Driven[] = [];
let editErrors = 0;
let firstEditError: string | null = null;
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

function contextOf(d: Driven, schema: DatasetSchema): DocContext {
  let n = 0;
  return { doc: d.bot.doc, schema, recordId: d.spec.recordId, newId: () => `b${d.spec.index}n${++n}` };
}

function schemaOf(info: Record<string, unknown>): DatasetSchema {
  return datasetSchemaOf(parseDatasetInfo(info));
}

function noteError(err: unknown): void {
  editErrors++;
  firstEditError ??= err instanceof Error ? err.message : String(err);
}

function moveOnce(d: Driven): void {
  const ctx = d.ctx;
  const box = d.spec.bboxId ?? d.box;
  if (!ctx || !box) return;
  const seq = d.seq++;
  const t = nowMs();
  try {
    d.bot.edit(seq, () =>
      updateRow(ctx, clientOrigin(`bot-${d.spec.index}`), "bboxes", box, {
        coords: movedCoords(d.spec.index, seq),
        source_metadata: stampMetadata({ t, c: d.spec.index, s: seq }),
      }),
    );
    d.editTimes.push(t);
  } catch (err) {
    noteError(err);
  }
}

function awarenessOnce(d: Driven): void {
  if (!d.bot.open) return;
  const t = nowMs();
  d.bot.sendAwareness({
    user: { name: `bot ${d.spec.index}`, color: "#1f77b4" },
    cursor: { x: Math.round(t % 1000), y: d.spec.index },
    tool: "bbox",
    t,
    c: d.spec.index,
  });
  d.awarenessTimes.push(t);
}

function stopTimers(): number {
  let n = 0;
  for (const d of driven) {
    for (const t of d.timers) clearInterval(t);
    n += d.timers.length;
    d.timers = [];
  }
  return n;
}

const inWindow = (t: number, from: number, to: number) => t >= from && t <= to;
const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;

async function syncAll(
  bots: readonly Driven[],
  timeoutMs: number,
  start: (d: Driven) => void,
): Promise<{ synced: Driven[]; failed: Driven[] }> {
  const deadline = sleep(timeoutMs).then(() => "timeout" as const);
  const synced: Driven[] = [];
  await Promise.all(
    bots.map(async (d) => {
      start(d);
      if ((await Promise.race([d.bot.whenSynced(), deadline])) === true) synced.push(d);
    }),
  );
  return { synced, failed: bots.filter((d) => !synced.includes(d)) };
}

/** One new entity with its box per bot (sent at once, or held: see `Bot.holdEdits`); returns the edits made. */
function firstEdits(info: Record<string, unknown>): number {
  const schema = schemaOf(info);
  let edits = 0;
  for (const d of driven) {
    d.ctx ??= contextOf(d, schema);
    const ctx = d.ctx;
    const seq = d.seq++;
    const t = nowMs();
    try {
      d.bot.edit(seq, () => {
        const { annotationId } = createEntity(ctx, clientOrigin(`bot-${d.spec.index}`), {
          entity: withCustom({}, { category: "bench" }),
          annotation: {
            table: "bboxes",
            row: {
              coords: movedCoords(d.spec.index, seq),
              format: "xywh",
              is_normalized: true,
              source_metadata: stampMetadata({ t, c: d.spec.index, s: seq }),
            },
          },
        });
        d.box ??= annotationId;
      });
      d.editTimes.push(t);
      edits++;
    } catch (err) {
      noteError(err);
    }
  }
  return edits;
}

serveRpc<BotCommands>({
  async connect({ specs, concurrency, timeoutMs }) {
    const batch = specs.map((spec): Driven => {
      const doc = new Y.Doc();
      if (spec.seed) Y.applyUpdate(doc, spec.seed, REMOTE);
      const bot = new Bot({
        url: spec.url,
        remote: spec.remote,
        doc,
        autoReconnect: spec.autoReconnect,
        keepJoinState: spec.keepJoinState,
      });
      return { spec, bot, seq: 0, editTimes: [], awarenessTimes: [], ctx: null, timers: [], box: null };
    });
    driven.push(...batch);
    const startedAt = nowMs();
    const deadline = startedAt + timeoutMs;
    const syncMs: number[] = [];
    const errors: string[] = [];
    let failed = 0;
    let next = 0;
    // `concurrency` connections in flight at a time; each slot opens the next once its bot synced.
    const slot = async () => {
      while (next < batch.length) {
        const d = batch[next++];
        if (!d) break;
        const left = deadline - nowMs();
        const { synced } = await syncAll([d], Math.max(1, left), (x) => x.bot.connect());
        if (synced.length === 1) syncMs.push(d.bot.syncMs);
        else {
          failed++;
          if (errors.length < 5) errors.push(d.bot.lastError ?? "no step 2 before the deadline");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, slot));
    const times = batch.map((d) => d.bot.syncedAt).filter((t) => Number.isFinite(t));
    return { syncMs, startedAt, lastSyncedAt: times.length > 0 ? Math.max(...times) : Number.NaN, failed, errors };
  },

  load({ info, editsPerSec, awarenessHz }) {
    const schema = schemaOf(info);
    const n = driven.length;
    driven.forEach((d, i) => {
      d.ctx ??= contextOf(d, schema);
      // Staggered so edits and awareness are spread evenly over each period.
      const phase = (i / Math.max(1, n)) * 1000;
      if (editsPerSec > 0 && (d.spec.bboxId ?? d.box)) {
        const period = 1000 / editsPerSec;
        // The first edit at the staggered start, not one period later (a slow pace would otherwise start late).
        const t = setTimeout(
          () => {
            moveOnce(d);
            d.timers.push(setInterval(() => moveOnce(d), period));
          },
          (phase / 1000) * period,
        );
        d.timers.push(t);
      }
      if (awarenessHz > 0) {
        const period = 1000 / awarenessHz;
        const t = setTimeout(() => d.timers.push(setInterval(() => awarenessOnce(d), period)), (phase / 1000) * period);
        d.timers.push(t);
      }
    });
    return { started: driven.length };
  },

  stopLoad() {
    return { stopped: stopTimers() };
  },

  createOnce({ info }) {
    const started = nowMs();
    const edits = firstEdits(info);
    return { edits, errors: editErrors, firstError: firstEditError, sendMs: Math.round(nowMs() - started) };
  },

  prepareOnce({ info, marker }) {
    const started = nowMs();
    for (const d of driven) d.bot.holdEdits();
    const edits = firstEdits(info);
    if (marker) for (const d of driven) d.bot.prepareMarker();
    return { edits, errors: editErrors, firstError: firstEditError, prepareMs: Math.round(nowMs() - started) };
  },

  async sendHeld({ at }) {
    // The shared start: every bot process wakes at the same instant of the shared monotonic clock.
    const early = at - nowMs() - 5;
    if (early > 0) await sleep(early);
    while (nowMs() < at) {
      // spin the last few ms: a timer fires late by up to a tick
    }
    const first = nowMs();
    let frames = 0;
    for (const d of driven) frames += d.bot.sendHeldEdits();
    const last = nowMs();
    return { frames, firstSentAt: first, lastSentAt: last, sendMs: Math.round((last - first) * 100) / 100 };
  },

  async waitConfirmed({ timeoutMs }) {
    const deadline = nowMs() + timeoutMs;
    const pending = () => driven.filter((d) => d.bot.confirmedSeq < d.bot.lastEditSeq).length;
    while (pending() > 0 && nowMs() < deadline) await sleep(20);
    return {
      confirmed: pending() === 0,
      unconfirmed: pending(),
      ackMs: driven.flatMap((d) => d.bot.acks.map(([, a]) => a)),
    };
  },

  async waitProcessed({ timeoutMs }) {
    const deadline = nowMs() + timeoutMs;
    const unanswered = () => driven.filter((d) => d.bot.markerPending).length;
    while (unanswered() > 0 && nowMs() < deadline) await sleep(20);
    return { processedMs: driven.flatMap((d) => d.bot.processed.map(([, a]) => a)), unanswered: unanswered() };
  },

  report({ from, to }) {
    const counters: BotCounters = {
      framesIn: 0,
      bytesIn: 0,
      updatesIn: 0,
      awarenessIn: 0,
      framesOut: 0,
      bytesOut: 0,
      connects: 0,
      closes: 0,
    };
    for (const d of driven)
      for (const k of Object.keys(counters) as Array<keyof BotCounters>) counters[k] += d.bot.counters[k];
    const out = {
      ackMs: driven.flatMap((d) => d.bot.acks.filter(([at]) => inWindow(at, from, to)).map(([, a]) => a)),
      editsInWindow: driven.reduce((a, d) => a + d.editTimes.filter((t) => inWindow(t, from, to)).length, 0),
      awarenessInWindow: driven.reduce((a, d) => a + d.awarenessTimes.filter((t) => inWindow(t, from, to)).length, 0),
      lastEditSeq: driven.map((d) => d.bot.lastEditSeq),
      confirmedSeq: driven.map((d) => d.bot.confirmedSeq),
      editErrors,
      firstEditError,
      counters,
      loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
    };
    loop.reset();
    return out;
  },

  hold() {
    for (const d of driven) d.bot.hold = true;
    return { held: driven.length };
  },

  async waitClosed({ timeoutMs }) {
    const deadline = nowMs() + timeoutMs;
    while (driven.some((d) => d.bot.open) && nowMs() < deadline) await sleep(10);
    const open = driven.filter((d) => d.bot.open).length;
    return { closed: driven.length - open, open };
  },

  async release({ timeoutMs }) {
    const t0 = nowMs();
    const { synced, failed } = await syncAll(driven, timeoutMs, (d) => {
      d.bot.hold = false;
      d.bot.connect();
    });
    return { syncMs: synced.map((d) => d.bot.syncedAt - t0), failed: failed.length };
  },

  async leave({ timeoutMs }) {
    stopTimers();
    for (const d of driven) d.bot.leave();
    const deadline = nowMs() + timeoutMs;
    while (driven.some((d) => d.bot.open) && nowMs() < deadline) await sleep(10);
    const open = driven.filter((d) => d.bot.open).length;
    const closed = driven.length - open;
    for (const d of driven.splice(0)) d.bot.destroy();
    return { closed, open };
  },
});
