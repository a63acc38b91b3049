import { startRedisProcess } from "../servers/redis.js";
import {
  fanoutOn,
  throughputOn,
  uptime,
  type ClusterConfig,
  type ClusterParams,
  type ClusterUsage,
  type FanoutResult,
  type ThroughputResult,
} from "./clusterRuns.js";
import { fmt, latencyCells, numberOption, ratio, type ScenarioContext, type ScenarioOutput } from "./common.js";

/**
 * `cluster`: the scaled mode on this machine (a real redis-server with AOF `appendfsync always`,
 * N web processes on one DATA_DIR, each with its persist worker child), against the single mode
 * (one process, no Redis) measured in the same run. For the single mode and for N in `--processes`
 * (default 1,2,3): (a) fan-out on one record — `--clients` bots moving their box `--rate` times a
 * second with awareness at `--awareness-hz`, plus two real `WebsocketProvider` observers, bot i and
 * observer k connected to process i mod N; (b) edits/s over many records — `--records` records, one
 * bot each moving its box `--record-rate` times a second, record r on process r mod N. Prints the
 * load average before and after every configuration, the Redis configuration, and each process's CPU.
 */
function params(ctx: ScenarioContext): ClusterParams {
  const list = ctx.args.indexOf("--processes");
  const processes =
    list >= 0
      ? (ctx.args[list + 1] ?? "")
          .split(",")
          .map(Number)
          .filter((n) => Number.isInteger(n) && n >= 1)
      : [1, 2, 3];
  if (processes.length === 0) throw new Error("--processes needs a list like 1,2,3");
  return {
    processes,
    clients: numberOption(ctx.args, "--clients", 50),
    editsPerSec: numberOption(ctx.args, "--rate", 5),
    awarenessHz: numberOption(ctx.args, "--awareness-hz", 10),
    records: numberOption(ctx.args, "--records", 300),
    recordEditsPerSec: numberOption(ctx.args, "--record-rate", ctx.full ? 10 : 5),
    warmupS: numberOption(ctx.args, "--warmup-s", 3),
    durationS: numberOption(ctx.args, "--duration", ctx.full ? 30 : 12),
  };
}

interface ConfigResult {
  readonly config: ClusterConfig;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly fanout: FanoutResult | null;
  readonly throughput: ThroughputResult | null;
  /** Why a part could not run (the scaled mode refused to start, a process died, …). */
  readonly errors: string[];
}

function cpuCell(u: ClusterUsage): string {
  const parts = u.web.map((w, i) => `web${i} ${fmt(w.cpuPercent, 0)}`);
  parts.push(...u.persist.map((w, i) => `persist${i} ${fmt(w.cpuPercent, 0)}`));
  if (u.redis) parts.push(`redis ${fmt(u.redis.cpuPercent, 0)}`);
  return `${fmt(u.totalCpuPercent, 0)} (${parts.join(", ")})`;
}

async function redisConfig(): Promise<Record<string, string>> {
  const redis = await startRedisProcess();
  try {
    return await redis.config();
  } finally {
    await redis.stop();
  }
}

export async function runCluster(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const p = params(ctx);
  const configs: ClusterConfig[] = [
    { label: "single", scaled: false, processes: 1 },
    ...p.processes.map((n) => ({ label: `${n} proc`, scaled: true, processes: n })),
  ];
  const redis = await redisConfig();
  ctx.log(`cluster: ${configs.map((c) => c.label).join(", ")}; redis ${JSON.stringify(redis)}`);
  const results: ConfigResult[] = [];
  for (const config of configs) {
    const loadBefore = uptime();
    ctx.log(`  [${config.label}] ${loadBefore}`);
    const errors: string[] = [];
    const attempt = async <T>(part: string, run: () => Promise<T>): Promise<T | null> => {
      try {
        return await run();
      } catch (err) {
        const message = `${part}: ${err instanceof Error ? err.message : String(err)}`;
        ctx.log(`  [${config.label}] FAILED ${message.slice(0, 2000)}`);
        errors.push(message.slice(0, 4000));
        return null;
      }
    };
    const fanout = await attempt("fanout", () => fanoutOn(config, p, ctx));
    if (fanout)
      ctx.log(
        `  [${config.label}] fanout: edit p50 ${fanout.editLatencyMs.p50} p99 ${fanout.editLatencyMs.p99} ms, ${fanout.deliveredPerSecond} delivered/s, ack p99 ${fanout.durableAckMs.p99} ms, CPU ${cpuCell(fanout.usage)}`,
      );
    const throughput = await attempt("edits", () => throughputOn(config, p, ctx));
    if (throughput)
      ctx.log(
        `  [${config.label}] edits: ${throughput.confirmedPerSecond}/s confirmed of ${throughput.offeredPerSecond}/s offered, ack p99 ${throughput.durableAckMs.p99} ms, CPU ${cpuCell(throughput.usage)}`,
      );
    results.push({ config, loadBefore, loadAfter: uptime(), fanout, throughput, errors });
  }
  const base = results.find((r) => r.config.label === "single");
  const one = results.find((r) => r.config.scaled && r.config.processes === 1);
  const ratios = results.map((r) => ({
    config: r.config.label,
    fanoutP99VsSingle: ratio(r.fanout?.editLatencyMs.p99 ?? Number.NaN, base?.fanout?.editLatencyMs.p99 ?? Number.NaN),
    fanoutP99VsOneProcess: ratio(
      r.fanout?.editLatencyMs.p99 ?? Number.NaN,
      one?.fanout?.editLatencyMs.p99 ?? Number.NaN,
    ),
    deliveredVsSingle: ratio(
      r.fanout?.deliveredPerSecond ?? Number.NaN,
      base?.fanout?.deliveredPerSecond ?? Number.NaN,
    ),
    editsPerSecondVsSingle: ratio(
      r.throughput?.confirmedPerSecond ?? Number.NaN,
      base?.throughput?.confirmedPerSecond ?? Number.NaN,
    ),
    editsPerSecondVsOneProcess: ratio(
      r.throughput?.confirmedPerSecond ?? Number.NaN,
      one?.throughput?.confirmedPerSecond ?? Number.NaN,
    ),
  }));
  const ratioOf = (label: string) => ratios.find((x) => x.config === label);
  return {
    json: { scenario: "cluster", parameters: p, redisConfig: redis, results, ratios },
    tables: [
      {
        head: [
          `fan-out, ${p.clients} bots × ${p.editsPerSec}/s + 2 observers`,
          "edit p50",
          "p95",
          "p99",
          "max",
          "aw. p99",
          "ack p50 / p99",
          "delivered/s",
          "undelivered",
          "folded after",
          "p99 ÷ single",
          "p99 ÷ 1 proc",
          "CPU % (per process)",
          "load before → after",
        ],
        rows: results.map((r) => {
          const f = r.fanout;
          const x = ratioOf(r.config.label);
          if (!f) return [r.config.label, `failed: ${firstLine(r.errors[0])}`];
          return [
            r.config.label,
            ...latencyCells(f.editLatencyMs),
            fmt(f.awarenessLatencyMs.p99, 2),
            `${fmt(f.durableAckMs.p50, 2)} / ${fmt(f.durableAckMs.p99, 2)}`,
            String(f.deliveredPerSecond),
            String(f.undelivered),
            f.foldedAfterLastEditMs === null ? "not in 30 s" : `${f.foldedAfterLastEditMs} ms`,
            fmt(x?.fanoutP99VsSingle, 2),
            fmt(x?.fanoutP99VsOneProcess, 2),
            cpuCell(f.usage),
            `${loadOf(r.loadBefore)} → ${loadOf(r.loadAfter)}`,
          ];
        }),
      },
      {
        head: [
          `edits, ${p.records} records × ${p.recordEditsPerSec}/s`,
          "offered/s",
          "confirmed/s",
          "ack p50",
          "p99",
          "max",
          "unconfirmed",
          "÷ single",
          "÷ 1 proc",
          "CPU % (per process)",
          "bots loop p99",
        ],
        rows: results.map((r) => {
          const t = r.throughput;
          const x = ratioOf(r.config.label);
          if (!t) return [r.config.label, `failed: ${firstLine(r.errors.at(-1))}`];
          return [
            r.config.label,
            String(t.offeredPerSecond),
            String(t.confirmedPerSecond),
            fmt(t.durableAckMs.p50, 2),
            fmt(t.durableAckMs.p99, 2),
            fmt(t.durableAckMs.max, 2),
            String(t.unconfirmed),
            fmt(x?.editsPerSecondVsSingle, 2),
            fmt(x?.editsPerSecondVsOneProcess, 2),
            cpuCell(t.usage),
            fmt(t.botsLoopDelayP99Ms, 1),
          ];
        }),
      },
      {
        head: ["redis setting", "value"],
        rows: Object.entries(redis).map(([k, v]) => [k, v === "" ? '""' : v]),
      },
    ],
  };
}

/** The first line of an error, shortened, for a table cell. */
function firstLine(error: string | undefined): string {
  const lines = (error ?? "").split("\n").filter((l) => l.trim() !== "");
  return (lines.find((l) => /error/i.test(l) && !/^\S+: tessera server exited/.test(l)) ?? lines[0] ?? "").slice(
    0,
    120,
  );
}

/** The 1-minute load average out of `uptime`'s line. */
function loadOf(line: string): string {
  return /load average: ([\d.]+)/.exec(line)?.[1] ?? "?";
}
