import type { ProcessProfile } from "../inspectorProfile.js";
import { nowMs, sleep } from "../clock.js";
import type { BotReport, ObserverReport } from "../bots/commands.js";
import { createCollabDataset } from "../gen/collabDataset.js";
import { snapshotTree, usageBetween, type Usage } from "../resources.js";
import type { ServerKind } from "../servers/process.js";
import type { LatencySummary } from "../stats.js";
import {
  fmt,
  latencyCells,
  median,
  medianSummary,
  numberOption,
  probe,
  ratio,
  startBots,
  startKind,
  startObservers,
  startProfiling,
  summarize,
  syncUrl,
  waitLogsFolded,
  type ScenarioContext,
  type ScenarioOutput,
} from "./common.js";
import { readRow } from "@tessera/shared-crdt";

/**
 * `fanout`: N raw-protocol bots on one record, each moving its own box `editsPerSec` times a
 * second (through the shared-crdt mutators) and sending awareness at `awarenessHz`, plus two real
 * `WebsocketProvider` observers (also sending awareness) that time every edit and awareness state
 * of the others. Same load on Tessera (write-ahead log, persist worker) and on the stock server,
 * alternating, `runs` times each; medians over runs are compared (collaboration.md §6 #1–#3).
 */
interface FanoutParams {
  readonly clients: number;
  readonly observers: number;
  readonly editsPerSec: number;
  readonly awarenessHz: number;
  readonly warmupS: number;
  readonly durationS: number;
  readonly runs: number;
}

interface FanoutRun {
  readonly server: ServerKind;
  readonly run: number;
  readonly serverStartMs: number;
  /** Edit by a bot → seen by an observer (real provider). */
  readonly editLatencyMs: LatencySummary;
  /** Awareness state set by a client → seen by an observer. */
  readonly awarenessLatencyMs: LatencySummary;
  /** Tessera: edit sent → its durable confirmation (type-100 `confirmed`) back at the sender. */
  readonly durableAckMs: LatencySummary | null;
  /** Tessera: last edit → every record log folded into snapshot and rows (persist lag). */
  readonly foldedAfterLastEditMs: number | null;
  readonly editsPerSecond: number;
  readonly awarenessPerSecond: number;
  /** Edits the observers did not receive by the end (each observer counted). */
  readonly undelivered: number;
  readonly editErrors: number;
  readonly firstEditError: string | null;
  readonly serverUsage: Usage;
  readonly botsUsage: Usage;
  readonly observersUsage: Usage;
  readonly loadGeneratorLoopDelayP99Ms: { bots: number; observers: number };
  /** Bytes the bots received per byte they sent (broadcast amplification, bots' view). */
  readonly bytesInPerByteOut: number;
  /** The slowest edits: `[ms after the window start, latency ms]` (line them up with the profile's long tasks). */
  readonly worstEdits: Array<[number, number]>;
  /** `--profile`: CPU profile of the server processes over the measurement window. */
  readonly profile: ProcessProfile[] | null;
}

function fanoutParams(ctx: ScenarioContext): FanoutParams {
  return {
    clients: numberOption(ctx.args, "--clients", ctx.full ? 100 : 50),
    observers: 2,
    editsPerSec: numberOption(ctx.args, "--rate", 5),
    awarenessHz: numberOption(ctx.args, "--awareness-hz", 10),
    warmupS: numberOption(ctx.args, "--warmup-s", 3),
    durationS: numberOption(ctx.args, "--duration", 15),
    runs: numberOption(ctx.args, "--runs", 3),
  };
}

const RECORD = "fanout";

/** Counts, per observer, edits made but not received (by bot index and edit count). */
function undelivered(bots: BotReport, obs: ObserverReport): number {
  let missing = 0;
  for (const seen of obs.seen) {
    bots.lastEditSeq.forEach((last, c) => {
      missing += Math.max(0, last + 1 - (seen[c] ?? 0));
    });
  }
  return missing;
}

async function fanoutRun(kind: ServerKind, p: FanoutParams, ctx: ScenarioContext, run: number): Promise<FanoutRun> {
  const data = await createCollabDataset({ label: "fanout", records: [{ id: RECORD, boxes: p.clients }] });
  const started = await startKind(kind, ctx, { dataDir: data.dataDir });
  const { server } = started;
  const bots = startBots();
  const observers = startObservers();
  try {
    const boxes = data.boxIds(RECORD, p.clients);
    const first = boxes[0] as string;
    if (kind === "stock") {
      // The stock server has no storage: bot 0 uploads the record (same content as Tessera's rows).
      const seed = await data.recordUpdate(RECORD);
      await bots.call("connect", {
        specs: [
          {
            index: 0,
            url: syncUrl(server, data.datasetId, RECORD, "bot 0"),
            recordId: RECORD,
            remote: "initial",
            seed,
            bboxId: first,
          },
        ],
        concurrency: 1,
        timeoutMs: 20_000,
      });
      await probe(
        syncUrl(server, data.datasetId, RECORD, "probe"),
        (b) => readRow(b.doc, "bboxes", boxes[boxes.length - 1] as string) !== undefined,
        (v) => v,
      );
    }
    await observers.call("connect", {
      serverUrl: `${server.wsUrl}/sync/${data.datasetId}`,
      recordId: RECORD,
      count: p.observers,
      tessera: kind === "tessera",
      timeoutMs: 30_000,
    });
    const from0 = kind === "stock" ? 1 : 0;
    const specs = boxes.slice(from0).map((bboxId, i) => {
      const index = i + from0;
      return {
        index,
        url: syncUrl(server, data.datasetId, RECORD, `bot ${index}`),
        recordId: RECORD,
        remote: "initial" as const,
        bboxId,
      };
    });
    const connected = await bots.call("connect", { specs, concurrency: 20, timeoutMs: 60_000 });
    if (connected.failed > 0) throw new Error(`${connected.failed} bots did not sync: ${connected.errors.join("; ")}`);
    ctx.log(
      `  ${kind} run ${run}: ${p.clients} bots + ${p.observers} observers synced; load for ${p.warmupS} + ${p.durationS} s`,
    );
    await bots.call("load", { info: data.info, editsPerSec: p.editsPerSec, awarenessHz: p.awarenessHz });
    await observers.call("load", { awarenessHz: p.awarenessHz });
    await sleep(p.warmupS * 1000);
    const profiler = await startProfiling(started);
    const before = await Promise.all([snapshotTree(server.pid), snapshotTree(bots.pid), snapshotTree(observers.pid)]);
    const from = nowMs();
    await sleep(p.durationS * 1000);
    const to = nowMs();
    const after = await Promise.all([snapshotTree(server.pid), snapshotTree(bots.pid), snapshotTree(observers.pid)]);
    const profile = profiler ? await profiler.stop() : null;
    await bots.call("stopLoad", {});
    await observers.call("stopLoad", {});
    const stoppedAt = nowMs();
    // Let the last edits and confirmations arrive before counting.
    await sleep(1500);
    const botReport = await bots.call("report", { from, to });
    const obsReport = await observers.call("report", { from, to });
    const folded = kind === "tessera" ? await waitLogsFolded(data.dataDir, 30_000, stoppedAt) : null;
    const seconds = (to - from) / 1000;
    const [sb, bb, ob] = before;
    const [sa, ba, oa] = after;
    if (!sb || !bb || !ob || !sa || !ba || !oa) throw new Error("missing process samples");
    await bots.call("leave", { timeoutMs: 5_000 });
    await observers.call("leave", {});
    await server.stop();
    return {
      server: kind,
      run,
      serverStartMs: server.startMs,
      editLatencyMs: summarize(obsReport.editMs),
      awarenessLatencyMs: summarize(obsReport.awarenessMs),
      durableAckMs: kind === "tessera" ? summarize(botReport.ackMs) : null,
      foldedAfterLastEditMs: folded,
      editsPerSecond: Math.round(botReport.editsInWindow / seconds),
      awarenessPerSecond: Math.round(botReport.awarenessInWindow / seconds),
      undelivered: undelivered(botReport, obsReport),
      editErrors: botReport.editErrors,
      firstEditError: botReport.firstEditError,
      serverUsage: usageBetween(sb, sa),
      botsUsage: usageBetween(bb, ba),
      observersUsage: usageBetween(ob, oa),
      loadGeneratorLoopDelayP99Ms: { bots: botReport.loopDelayMs.p99, observers: obsReport.loopDelayMs.p99 },
      bytesInPerByteOut: Math.round((botReport.counters.bytesIn / Math.max(1, botReport.counters.bytesOut)) * 10) / 10,
      worstEdits: obsReport.worstEdits.map(([t, l]) => [Math.round(t - from), Math.round(l * 100) / 100]),
      profile,
    };
  } finally {
    await bots.close();
    await observers.close();
    await server.stop();
    await data.cleanup();
  }
}

interface SideSummary {
  readonly runs: number;
  readonly editLatencyMs: LatencySummary;
  readonly awarenessLatencyMs: LatencySummary;
  readonly durableAckMs: LatencySummary | null;
  readonly serverCpuPercent: number;
  readonly serverMainCpuPercent: number;
  readonly serverRssMb: number;
  readonly undelivered: number;
}

function side(runs: readonly FanoutRun[]): SideSummary {
  const acks = runs.map((r) => r.durableAckMs).filter((a): a is LatencySummary => a !== null);
  return {
    runs: runs.length,
    editLatencyMs: medianSummary(runs.map((r) => r.editLatencyMs)),
    awarenessLatencyMs: medianSummary(runs.map((r) => r.awarenessLatencyMs)),
    durableAckMs: acks.length > 0 ? medianSummary(acks) : null,
    serverCpuPercent: median(runs.map((r) => r.serverUsage.cpuPercent)),
    serverMainCpuPercent: median(runs.map((r) => r.serverUsage.processes[0]?.cpuPercent ?? Number.NaN)),
    serverRssMb: median(runs.map((r) => r.serverUsage.rssMb)),
    undelivered: runs.reduce((a, r) => a + r.undelivered, 0),
  };
}

export async function runFanout(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = fanoutParams(ctx);
  ctx.log(
    `fanout: ${p.clients} clients × ${p.editsPerSec} edits/s + ${p.awarenessHz} Hz awareness, ${p.runs} runs per server`,
  );
  const runs: FanoutRun[] = [];
  for (let i = 1; i <= p.runs; i++) {
    for (const kind of ["stock", "tessera"] as const) {
      const r = await fanoutRun(kind, p, ctx, i);
      ctx.log(
        `  ${kind} run ${i}: edit p50 ${r.editLatencyMs.p50} p99 ${r.editLatencyMs.p99} ms, awareness p99 ${r.awarenessLatencyMs.p99} ms, CPU ${r.serverUsage.cpuPercent} %, RSS ${r.serverUsage.rssMb} MB`,
      );
      runs.push(r);
    }
  }
  const tessera = side(runs.filter((r) => r.server === "tessera"));
  const stock = side(runs.filter((r) => r.server === "stock"));
  const ratios = {
    editP50: ratio(tessera.editLatencyMs.p50, stock.editLatencyMs.p50),
    editP99: ratio(tessera.editLatencyMs.p99, stock.editLatencyMs.p99),
    awarenessP99: ratio(tessera.awarenessLatencyMs.p99, stock.awarenessLatencyMs.p99),
    serverCpu: ratio(tessera.serverCpuPercent, stock.serverCpuPercent),
    serverRss: ratio(tessera.serverRssMb, stock.serverRssMb),
  };
  const row = (name: string, s: SideSummary) => [
    name,
    ...latencyCells(s.editLatencyMs),
    fmt(s.awarenessLatencyMs.p50, 2),
    fmt(s.awarenessLatencyMs.p99, 2),
    s.durableAckMs ? `${fmt(s.durableAckMs.p50, 2)} / ${fmt(s.durableAckMs.p99, 2)}` : "n/a",
    fmt(s.serverCpuPercent),
    fmt(s.serverRssMb, 0),
    String(s.undelivered),
  ];
  return {
    json: { scenario: "fanout", parameters: p, tessera, stock, ratios, runs },
    tables: [
      {
        head: [
          "server (median of runs)",
          "edit p50",
          "p95",
          "p99",
          "max",
          "awareness p50",
          "p99",
          "durable ack p50 / p99",
          "CPU %",
          "RSS MB",
          "undelivered",
        ],
        rows: [
          row("stock", stock),
          row("tessera", tessera),
          [
            "tessera ÷ stock",
            "",
            "",
            fmt(ratios.editP99, 2),
            "",
            "",
            fmt(ratios.awarenessP99, 2),
            "",
            fmt(ratios.serverCpu, 2),
            fmt(ratios.serverRss, 2),
            "",
          ],
        ],
      },
      {
        head: [
          "run",
          "server",
          "edit p50",
          "p95",
          "p99",
          "max",
          "aw. p99",
          "ack p99",
          "folded after",
          "edits/s",
          "aw./s",
          "CPU % (main)",
          "RSS MB",
          "bots CPU %",
          "bots loop p99",
        ],
        rows: runs.map((r) => [
          String(r.run),
          r.server,
          ...latencyCells(r.editLatencyMs),
          fmt(r.awarenessLatencyMs.p99, 2),
          r.durableAckMs ? fmt(r.durableAckMs.p99, 2) : "n/a",
          r.foldedAfterLastEditMs === null ? "n/a" : `${r.foldedAfterLastEditMs} ms`,
          String(r.editsPerSecond),
          String(r.awarenessPerSecond),
          `${fmt(r.serverUsage.cpuPercent)} (${fmt(r.serverUsage.processes[0]?.cpuPercent)})`,
          fmt(r.serverUsage.rssMb, 0),
          fmt(r.botsUsage.cpuPercent),
          fmt(r.loadGeneratorLoopDelayP99Ms.bots, 1),
        ]),
      },
    ],
  };
}
