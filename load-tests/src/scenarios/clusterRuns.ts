import * as os from "node:os";
import type { BotReport, BotSpec, ObserverReport } from "../bots/commands.js";
import { startCluster, type Cluster } from "../cluster.js";
import { nowMs, pollUntil, sleep } from "../clock.js";
import { createCollabDataset } from "../gen/collabDataset.js";
import { snapshotTree, usageBetween, type TreeSnapshot, type Usage } from "../resources.js";
import type { BenchServer } from "../servers/process.js";
import type { LatencySummary } from "../stats.js";
import { BotPool } from "./botPool.js";
import { pendingLogs, startBots, startObservers, summarize, syncUrl, type ScenarioContext } from "./common.js";

/**
 * The two measurements of the `cluster` scenario, on one configuration (the single mode, or the
 * scaled mode with N web processes): fan-out on one record with bots and observers spread over the
 * processes, and the edits/s a cluster confirms over many records with one client each.
 */
export interface ClusterConfig {
  /** "single" (no Redis) or the number of web processes in scaled mode. */
  readonly label: string;
  readonly scaled: boolean;
  readonly processes: number;
}

export interface ClusterParams {
  readonly processes: readonly number[];
  readonly clients: number;
  readonly editsPerSec: number;
  readonly awarenessHz: number;
  readonly records: number;
  readonly recordEditsPerSec: number;
  readonly warmupS: number;
  readonly durationS: number;
}

/** CPU of every process of the cluster over the window (each web process with its persist child). */
export interface ClusterUsage {
  readonly web: Usage[];
  readonly persist: Usage[];
  readonly redis: Usage | null;
  /** Sum of every process above, % of one core. */
  readonly totalCpuPercent: number;
}

export interface FanoutResult {
  readonly editLatencyMs: LatencySummary;
  readonly awarenessLatencyMs: LatencySummary;
  readonly durableAckMs: LatencySummary;
  readonly editsPerSecond: number;
  /** Edits seen by the observers per second (throughput of the broadcast). */
  readonly deliveredPerSecond: number;
  readonly undelivered: number;
  readonly editErrors: number;
  readonly firstEditError: string | null;
  /** Last edit → nothing left to fold (file logs, or the Redis set of non-empty streams). */
  readonly foldedAfterLastEditMs: number | null;
  readonly usage: ClusterUsage;
  readonly botsLoopDelayP99Ms: number;
}

export interface ThroughputResult {
  readonly offeredPerSecond: number;
  /** Edits sent in the window whose durable confirmation came back, per second. */
  readonly confirmedPerSecond: number;
  readonly durableAckMs: LatencySummary;
  /** Edits still unconfirmed 10 s after the load stopped. */
  readonly unconfirmed: number;
  readonly editErrors: number;
  readonly usage: ClusterUsage;
  readonly botsLoopDelayP99Ms: number;
}

/** What `uptime` prints: time since boot and the 1, 5 and 15-minute load averages (read through `os`). */
export function uptime(): string {
  const [one, five, fifteen] = os.loadavg().map((v) => v.toFixed(2));
  const up = os.uptime();
  return `up ${Math.floor(up / 86_400)} days ${Math.floor((up % 86_400) / 3600)}:${String(Math.floor((up % 3600) / 60)).padStart(2, "0")}, load average: ${one}, ${five}, ${fifteen}`;
}

async function startConfig(cfg: ClusterConfig, dataDir: string, ctx: ScenarioContext): Promise<Cluster> {
  return startCluster({
    dataDir,
    web: cfg.processes,
    redis: cfg.scaled,
    log: (m) => ctx.log(`  [${cfg.label}] ${m}`),
  });
}

/** Every process of the cluster, for CPU sampling. */
function pidsOf(cluster: Cluster): { web: number[]; persist: number[]; redis: number | null } {
  return {
    web: cluster.web.map((s) => s.pid),
    persist: cluster.persist.map((p) => p.pid),
    redis: cluster.redis?.pid ?? null,
  };
}

interface Snapshots {
  readonly web: TreeSnapshot[];
  readonly persist: TreeSnapshot[];
  readonly redis: TreeSnapshot | null;
}

async function snapshotCluster(cluster: Cluster): Promise<Snapshots> {
  const p = pidsOf(cluster);
  return {
    web: await Promise.all(p.web.map((pid) => snapshotTree(pid))),
    persist: await Promise.all(p.persist.map((pid) => snapshotTree(pid))),
    redis: p.redis === null ? null : await snapshotTree(p.redis),
  };
}

function clusterUsage(before: Snapshots, after: Snapshots): ClusterUsage {
  const pair = (a: readonly TreeSnapshot[], b: readonly TreeSnapshot[]) => b.map((s, i) => usageBetween(a[i] ?? s, s));
  const web = pair(before.web, after.web);
  const persist = pair(before.persist, after.persist);
  const redis = before.redis && after.redis ? usageBetween(before.redis, after.redis) : null;
  const total = [...web, ...persist, ...(redis ? [redis] : [])].reduce((a, u) => a + u.cpuPercent, 0);
  return { web, persist, redis, totalCpuPercent: Math.round(total * 10) / 10 };
}

/** Everything folded: no file log with entries (single) and no Redis stream with entries (scaled). */
async function waitFolded(cluster: Cluster, dataDir: string, since: number, timeoutMs: number): Promise<number | null> {
  const done = await pollUntil(
    async () => {
      if (cluster.redis) {
        const [count] = await cluster.redis.command("SCARD", "tessera:logs");
        return count === "0";
      }
      return (await pendingLogs(dataDir)) === 0;
    },
    timeoutMs,
    100,
  );
  return done ? Math.round(nowMs() - since) : null;
}

function undelivered(bots: BotReport, obs: readonly ObserverReport[]): number {
  let missing = 0;
  for (const o of obs)
    for (const seen of o.seen)
      bots.lastEditSeq.forEach((last, c) => {
        missing += Math.max(0, last + 1 - (seen[c] ?? 0));
      });
  return missing;
}

const at = (web: readonly BenchServer[], i: number): BenchServer => web[i % web.length] as BenchServer;

const FANOUT_RECORD = "fanout";

/** (a) `clients` bots on one record, bot i and observer k on process i mod N (k mod N). */
export async function fanoutOn(cfg: ClusterConfig, p: ClusterParams, ctx: ScenarioContext): Promise<FanoutResult> {
  const data = await createCollabDataset({
    label: "cluster-fanout",
    records: [{ id: FANOUT_RECORD, boxes: p.clients }],
  });
  let cluster: Cluster | null = null;
  const bots = startBots();
  const observerProcs = [startObservers(), startObservers()];
  try {
    cluster = await startConfig(cfg, data.dataDir, ctx);
    const web = cluster.web;
    await Promise.all(
      observerProcs.map((o, k) =>
        o.call("connect", {
          serverUrl: `${at(web, k).wsUrl}/sync/${data.datasetId}`,
          recordId: FANOUT_RECORD,
          count: 1,
          tessera: true,
          timeoutMs: 60_000,
        }),
      ),
    );
    const specs: BotSpec[] = data.boxIds(FANOUT_RECORD, p.clients).map((bboxId, index) => ({
      index,
      url: syncUrl(at(web, index), data.datasetId, FANOUT_RECORD, `bot ${index}`),
      recordId: FANOUT_RECORD,
      remote: "initial",
      bboxId,
    }));
    const connected = await bots.call("connect", { specs, concurrency: 20, timeoutMs: 60_000 });
    if (connected.failed > 0) throw new Error(`${connected.failed} bots did not sync: ${connected.errors.join("; ")}`);
    ctx.log(`  [${cfg.label}] fanout: ${p.clients} bots + 2 observers synced; ${p.warmupS} + ${p.durationS} s`);
    await bots.call("load", { info: data.info, editsPerSec: p.editsPerSec, awarenessHz: p.awarenessHz });
    await Promise.all(observerProcs.map((o) => o.call("load", { awarenessHz: p.awarenessHz })));
    await sleep(p.warmupS * 1000);
    const before = await snapshotCluster(cluster);
    const from = nowMs();
    await sleep(p.durationS * 1000);
    const to = nowMs();
    const after = await snapshotCluster(cluster);
    await bots.call("stopLoad", {});
    await Promise.all(observerProcs.map((o) => o.call("stopLoad", {})));
    const stoppedAt = nowMs();
    await bots.call("waitConfirmed", { timeoutMs: 10_000 }, 20_000);
    // The observers may lag behind the confirmations on a loaded machine: count what they missed once they
    // caught up (or after 15 s).
    const catchUp = nowMs() + 15_000;
    let botReport = await bots.call("report", { from, to });
    let obsReports = await Promise.all(observerProcs.map((o) => o.call("report", { from, to })));
    while (undelivered(botReport, obsReports) > 0 && nowMs() < catchUp) {
      await sleep(250);
      botReport = await bots.call("report", { from, to });
      obsReports = await Promise.all(observerProcs.map((o) => o.call("report", { from, to })));
    }
    await bots.call("leave", { timeoutMs: 5_000 });
    await Promise.all(observerProcs.map((o) => o.call("leave", {})));
    const folded = await waitFolded(cluster, data.dataDir, stoppedAt, 30_000);
    const seconds = (to - from) / 1000;
    const delivered = obsReports.reduce((a, r) => a + r.editMs.length, 0);
    return {
      editLatencyMs: summarize(obsReports.flatMap((r) => r.editMs)),
      awarenessLatencyMs: summarize(obsReports.flatMap((r) => r.awarenessMs)),
      durableAckMs: summarize(botReport.ackMs),
      editsPerSecond: Math.round(botReport.editsInWindow / seconds),
      deliveredPerSecond: Math.round(delivered / seconds),
      undelivered: undelivered(botReport, obsReports),
      editErrors: botReport.editErrors,
      firstEditError: botReport.firstEditError,
      foldedAfterLastEditMs: folded,
      usage: clusterUsage(before, after),
      botsLoopDelayP99Ms: botReport.loopDelayMs.p99,
    };
  } finally {
    await bots.close();
    for (const o of observerProcs) await o.close();
    if (cluster) await cluster.stop();
    await data.cleanup();
  }
}

/** (b) `records` records, one bot each moving its box `recordEditsPerSec` times a second, record r on process r mod N. */
export async function throughputOn(
  cfg: ClusterConfig,
  p: ClusterParams,
  ctx: ScenarioContext,
): Promise<ThroughputResult> {
  const ids = Array.from({ length: p.records }, (_, r) => `r${String(r).padStart(4, "0")}`);
  const data = await createCollabDataset({ label: "cluster-edits", records: ids.map((id) => ({ id, boxes: 1 })) });
  let cluster: Cluster | null = null;
  const pool = BotPool.start(2, "cluster-bots");
  try {
    cluster = await startConfig(cfg, data.dataDir, ctx);
    const web = cluster.web;
    const specs: BotSpec[] = ids.map((recordId, index) => ({
      index,
      url: syncUrl(at(web, index), data.datasetId, recordId, `bot ${index}`),
      recordId,
      remote: "initial",
      bboxId: data.boxIds(recordId, 1)[0] as string,
    }));
    const opened = await pool.connect(specs, 40, 120_000);
    if (opened.failed > 0) throw new Error(`${opened.failed} bots did not sync: ${opened.errors.join("; ")}`);
    ctx.log(
      `  [${cfg.label}] edits: ${p.records} records × ${p.recordEditsPerSec} edits/s synced; ${p.warmupS} + ${p.durationS} s`,
    );
    await pool.load(data.info, p.recordEditsPerSec);
    await sleep(p.warmupS * 1000);
    const before = await snapshotCluster(cluster);
    const from = nowMs();
    await sleep(p.durationS * 1000);
    const to = nowMs();
    const after = await snapshotCluster(cluster);
    await pool.stopLoad();
    const waited = await pool.waitConfirmed(10_000);
    const reports = await Promise.all(pool.procs.map((b) => b.call("report", { from, to })));
    const ackMs = reports.flatMap((r) => r.ackMs);
    const editsInWindow = reports.reduce((a, r) => a + r.editsInWindow, 0);
    await pool.leave(5_000);
    const seconds = (to - from) / 1000;
    return {
      offeredPerSecond: Math.round(editsInWindow / seconds),
      confirmedPerSecond: Math.round(ackMs.length / seconds),
      durableAckMs: summarize(ackMs),
      unconfirmed: waited.unconfirmed,
      editErrors: reports.reduce((a, r) => a + r.editErrors, 0),
      usage: clusterUsage(before, after),
      botsLoopDelayP99Ms: Math.max(...reports.map((r) => r.loopDelayMs.p99)),
    };
  } finally {
    await pool.close();
    if (cluster) await cluster.stop();
    await data.cleanup();
  }
}
