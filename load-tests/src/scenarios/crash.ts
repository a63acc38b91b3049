import { readRows } from "@tessera/shared-crdt";
import { Bot } from "../bots/Bot.js";
import { readStamp } from "../bots/stamps.js";
import { nowMs, sleep } from "../clock.js";
import { createCollabDataset } from "../gen/collabDataset.js";
import { Rng } from "../rng.js";
import type { LatencySummary } from "../stats.js";
import {
  fmt,
  numberOption,
  startBots,
  startKind,
  startObservers,
  summarize,
  syncUrl,
  type ScenarioContext,
  type ScenarioOutput,
} from "./common.js";

/**
 * `crash` (Tessera only; the stock server keeps nothing): the `fanout` load, then SIGKILL of the
 * server's whole process group (server and persist worker) at a random moment, and a restart on the
 * same DATA_DIR and port. Clients hold their reconnects until a checker has read the restarted
 * server's document — so what it finds is what the server kept, not what clients re-uploaded —
 * then reconnect; the load goes on. Reports confirmed edits lost (each bot's last confirmed edit
 * against its box's stamp in that document: must be 0), the restart time, the time until every
 * client is synced again, and whether everyone converged at the end.
 */
interface CrashParams {
  readonly clients: number;
  readonly editsPerSec: number;
  readonly awarenessHz: number;
  /** The kill falls uniformly in [killMinS, killMaxS] after the load starts. */
  readonly killMinS: number;
  readonly killMaxS: number;
  readonly afterS: number;
  readonly runs: number;
}

interface CrashRun {
  readonly run: number;
  readonly seed: number;
  readonly killAfterMs: number;
  /** Edits the server had confirmed durable before it died. */
  readonly confirmedEdits: number;
  /** Edits made (sent or not) before the clients noticed the death. */
  readonly editsMadeBeforeKill: number;
  /** Confirmed edits missing from the restarted server's document: must be 0. */
  readonly lostConfirmedEdits: number;
  /** Bots whose last confirmed edit is missing. */
  readonly botsWithLoss: number;
  /** Edits in the document beyond what was confirmed (durable, confirmation lost with the socket). */
  readonly durableButUnconfirmed: number;
  /** SIGKILL → restarted server listening. */
  readonly restartMs: number;
  /** Checker join on the restarted server (cold load: snapshot + log replay). */
  readonly firstJoinAfterRestartMs: number;
  /** Clients released → each synced again. */
  readonly resyncMs: LatencySummary;
  readonly resyncFailed: number;
  /** Edits after recovery still reached the observers, and at the end every bot's last edit is in a fresh replica. */
  readonly editsAfterRecovery: number;
  readonly converged: boolean;
  readonly notConverged: number;
}

function crashParams(ctx: ScenarioContext): CrashParams {
  return {
    clients: numberOption(ctx.args, "--clients", 50),
    editsPerSec: numberOption(ctx.args, "--rate", 5),
    awarenessHz: numberOption(ctx.args, "--awareness-hz", 10),
    killMinS: 2,
    killMaxS: 8,
    afterS: 3,
    runs: numberOption(ctx.args, "--runs", ctx.full ? 5 : 2),
  };
}

const RECORD = "crash";

/** Highest edit sequence per bot index found in a replica (box stamps). */
function docSeqs(bot: Bot): Map<number, number> {
  const out = new Map<number, number>();
  for (const row of readRows(bot.doc, "bboxes")) {
    const s = readStamp(row.source_metadata);
    if (s && s.s > (out.get(s.c) ?? -1)) out.set(s.c, s.s);
  }
  return out;
}

async function checker(url: string): Promise<{ seqs: Map<number, number>; syncMs: number }> {
  const bot = new Bot({ url, remote: "all" });
  try {
    bot.connect();
    if (!(await Promise.race([bot.whenSynced(), sleep(60_000).then(() => false)])))
      throw new Error(`checker did not sync: ${bot.lastError ?? "timeout"}`);
    return { seqs: docSeqs(bot), syncMs: Math.round(bot.syncMs * 100) / 100 };
  } finally {
    bot.destroy();
  }
}

async function crashRun(p: CrashParams, ctx: ScenarioContext, run: number): Promise<CrashRun> {
  const seed = ctx.seed + run;
  const rng = new Rng(seed);
  const killAfterMs = Math.round((p.killMinS + rng.next() * (p.killMaxS - p.killMinS)) * 1000);
  const data = await createCollabDataset({ label: "crash", records: [{ id: RECORD, boxes: p.clients }] });
  let started = await startKind("tessera", { ...ctx, profile: false }, { dataDir: data.dataDir });
  const port = started.server.port;
  const bots = startBots();
  const observers = startObservers();
  try {
    const server = started.server;
    await observers.call("connect", {
      serverUrl: `${server.wsUrl}/sync/${data.datasetId}`,
      recordId: RECORD,
      count: 2,
      tessera: true,
      timeoutMs: 30_000,
    });
    const specs = data.boxIds(RECORD, p.clients).map((bboxId, index) => ({
      index,
      url: syncUrl(server, data.datasetId, RECORD, `bot ${index}`),
      recordId: RECORD,
      remote: "initial" as const,
      bboxId,
    }));
    const connected = await bots.call("connect", { specs, concurrency: 20, timeoutMs: 60_000 });
    if (connected.failed > 0) throw new Error(`${connected.failed} bots did not sync: ${connected.errors.join("; ")}`);
    await bots.call("load", { info: data.info, editsPerSec: p.editsPerSec, awarenessHz: p.awarenessHz });
    await observers.call("load", { awarenessHz: p.awarenessHz });
    await sleep(killAfterMs);
    // Hold reconnects first, so that nothing reaches the restarted server before the checker.
    await Promise.all([bots.call("hold", {}), observers.call("hold", {})]);
    const killedAt = nowMs();
    await server.kill();
    const closed = await bots.call("waitClosed", { timeoutMs: 10_000 });
    if (closed.open > 0) throw new Error(`${closed.open} bots still connected after the kill`);
    const atKill = await bots.call("report", { from: 0, to: Number.MAX_VALUE });
    started = await startKind("tessera", { ...ctx, profile: false }, { dataDir: data.dataDir, port });
    const restartMs = Math.round(nowMs() - killedAt);
    const check = await checker(syncUrl(started.server, data.datasetId, RECORD, "checker"));
    let lost = 0;
    let botsWithLoss = 0;
    let extra = 0;
    atKill.confirmedSeq.forEach((confirmed, c) => {
      const inDoc = check.seqs.get(c) ?? -1;
      if (confirmed > inDoc) {
        lost += confirmed - inDoc;
        botsWithLoss++;
      } else extra += inDoc - confirmed;
    });
    const confirmedEdits = atKill.confirmedSeq.reduce((a, s) => a + s + 1, 0);
    ctx.log(
      `  run ${run} (seed ${seed}): killed after ${killAfterMs} ms; ${confirmedEdits} confirmed edits, ${lost} lost; restart ${restartMs} ms`,
    );
    const [rb, ro] = await Promise.all([
      bots.call("release", { timeoutMs: 60_000 }, 70_000),
      observers.call("release", { timeoutMs: 60_000 }, 70_000),
    ]);
    const resync = [...rb.syncMs, ...ro.syncMs];
    const recoveredAt = nowMs();
    await sleep(p.afterS * 1000);
    await bots.call("stopLoad", {});
    await observers.call("stopLoad", {});
    await sleep(1500);
    const end = await bots.call("report", { from: 0, to: Number.MAX_VALUE });
    const obs = await observers.call("report", { from: recoveredAt, to: nowMs() });
    const final = await checker(syncUrl(started.server, data.datasetId, RECORD, "final checker"));
    const notConverged = end.lastEditSeq.filter((last, c) => (final.seqs.get(c) ?? -1) !== last).length;
    await bots.call("leave", { timeoutMs: 5_000 });
    await observers.call("leave", {});
    return {
      run,
      seed,
      killAfterMs,
      confirmedEdits,
      editsMadeBeforeKill: atKill.lastEditSeq.reduce((a, s) => a + s + 1, 0),
      lostConfirmedEdits: lost,
      botsWithLoss,
      durableButUnconfirmed: extra,
      restartMs,
      firstJoinAfterRestartMs: check.syncMs,
      resyncMs: summarize(resync),
      resyncFailed: rb.failed + ro.failed,
      editsAfterRecovery: obs.editMs.length,
      converged: notConverged === 0,
      notConverged,
    };
  } finally {
    await bots.close();
    await observers.close();
    await started.server.stop();
    await data.cleanup();
  }
}

export async function runCrash(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = crashParams(ctx);
  ctx.log(
    `crash: ${p.clients} clients under the fanout load; SIGKILL at a random moment in [${p.killMinS}, ${p.killMaxS}] s; ${p.runs} runs (seed ${ctx.seed})`,
  );
  const runs: CrashRun[] = [];
  for (let i = 1; i <= p.runs; i++) runs.push(await crashRun(p, ctx, i));
  const lost = runs.reduce((a, r) => a + r.lostConfirmedEdits, 0);
  return {
    json: {
      scenario: "crash",
      parameters: p,
      seed: ctx.seed,
      lostConfirmedEdits: lost,
      allConverged: runs.every((r) => r.converged),
      runs,
    },
    tables: [
      {
        head: [
          "run",
          "seed",
          "kill after ms",
          "confirmed",
          "lost",
          "durable, unconfirmed",
          "restart ms",
          "first join ms",
          "resync p50 / max ms",
          "edits after",
          "converged",
        ],
        rows: runs.map((r) => [
          String(r.run),
          String(r.seed),
          String(r.killAfterMs),
          String(r.confirmedEdits),
          String(r.lostConfirmedEdits),
          String(r.durableButUnconfirmed),
          String(r.restartMs),
          fmt(r.firstJoinAfterRestartMs),
          `${fmt(r.resyncMs.p50)} / ${fmt(r.resyncMs.max)}`,
          String(r.editsAfterRecovery),
          r.converged ? "yes" : `no (${r.notConverged} bots)`,
        ]),
      },
    ],
  };
}
