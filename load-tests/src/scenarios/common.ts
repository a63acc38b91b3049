import { pendingLogs as pendingRecordLogs } from "@tessera/storage";
import { Bot } from "../bots/Bot.js";
import type { BotCommands, ObserverCommands } from "../bots/commands.js";
import { RpcChild } from "../bots/rpc.js";
import { nowMs, sleep } from "../clock.js";
import { TreeProfiler } from "../inspectorProfile.js";
import { freePort, type BenchServer, type ServerKind } from "../servers/process.js";
import { startStock } from "../servers/stock.js";
import { startTessera } from "../servers/tessera.js";
import { summarize, type LatencySummary } from "../stats.js";

/** What every scenario gets from the runner. */
export interface ScenarioContext {
  /** `--full`: the large sizes instead of the quick defaults. */
  readonly full: boolean;
  /** `--profile`: run the Tessera server under `--cpu-prof` and summarise the profile. */
  readonly profile: boolean;
  /** Remaining command-line options (`--clients 80`, …). */
  readonly args: readonly string[];
  readonly seed: number;
  log(message: string): void;
}

/** A printable table: header and rows of cells. */
export interface Table {
  readonly head: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

/** One scenario's output: the JSON object (`--json`, latest.json) and its table. */
export interface ScenarioOutput {
  readonly json: { readonly scenario: string; readonly [key: string]: unknown };
  readonly tables: readonly Table[];
}

class ScenarioError extends Error {
  override name = "ScenarioError";
}

/** `--name N` as a positive number, else `fallback`. */
export function numberOption(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new ScenarioError(`${name} needs a positive number`);
  return value;
}

export function median(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Tessera ÷ stock, 2 decimals (below 1: Tessera lower, i.e. better for latency, CPU and memory). */
export function ratio(tessera: number, stock: number): number | null {
  if (!Number.isFinite(tessera) || !Number.isFinite(stock) || stock === 0) return null;
  return Math.round((tessera / stock) * 100) / 100;
}

/** Median over runs of each percentile of a latency summary (n summed). */
export function medianSummary(runs: readonly LatencySummary[]): LatencySummary {
  const pick = (k: keyof LatencySummary) => Math.round(median(runs.map((r) => r[k])) * 100) / 100;
  return {
    n: runs.reduce((a, r) => a + r.n, 0),
    p50: pick("p50"),
    p95: pick("p95"),
    p99: pick("p99"),
    max: pick("max"),
    min: pick("min"),
  };
}

export const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits);

export function latencyCells(s: LatencySummary | null | undefined): string[] {
  return s ? [fmt(s.p50, 2), fmt(s.p95, 2), fmt(s.p99, 2), fmt(s.max, 2)] : ["—", "—", "—", "—"];
}

export { summarize };

export interface StartedServer {
  readonly server: BenchServer;
  /** Inspector port of the main process when profiling (`--profile`), else null. */
  readonly inspectPort: number | null;
}

/** Starts the server of `kind`, ready to be profiled through its inspector when `--profile` is on. */
export async function startKind(
  kind: ServerKind,
  ctx: ScenarioContext,
  options: { dataDir?: string; port?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<StartedServer> {
  const inspectPort = ctx.profile ? await freePort() : null;
  const extra = inspectPort ? { inspectPort } : {};
  if (kind === "stock") return { server: await startStock({ port: options.port, ...extra }), inspectPort };
  if (!options.dataDir) throw new ScenarioError("Tessera needs a DATA_DIR");
  const env = options.env ? { env: options.env } : {};
  return {
    server: await startTessera({ dataDir: options.dataDir, port: options.port, ...extra, ...env }),
    inspectPort,
  };
}

/** Starts CPU-profiling the server (main process and persist worker) when `--profile` is on; null otherwise. */
export async function startProfiling(started: StartedServer): Promise<TreeProfiler | null> {
  if (!started.inspectPort) return null;
  const profiler = new TreeProfiler(started.server.pid, started.inspectPort);
  await profiler.start();
  return profiler;
}

export function startBots(name = "bots"): RpcChild<BotCommands> {
  return RpcChild.start<BotCommands>(new URL("../bots/botProcess.ts", import.meta.url), name);
}

export function startObservers(): RpcChild<ObserverCommands> {
  return RpcChild.start<ObserverCommands>(new URL("../bots/observerProcess.ts", import.meta.url), "observers");
}

/** The sync URL of a record for a bot (identity as query parameters on Tessera; the stock server ignores them). */
export function syncUrl(server: BenchServer, datasetId: string, recordId: string, name: string): string {
  const q = server.kind === "tessera" ? `?name=${encodeURIComponent(name)}&tessera=1` : "";
  return `${server.wsUrl}/sync/${encodeURIComponent(datasetId)}/${encodeURIComponent(recordId)}${q}`;
}

/**
 * Record logs of DATA_DIR that still hold entries (0 = everything folded into snapshots and rows),
 * read from disk through `@tessera/storage`'s read-only inspection (the server runs in another process).
 */
export async function pendingLogs(dataDir: string): Promise<number> {
  return (await pendingRecordLogs(dataDir, { onWarning: () => undefined })).length;
}

/** Polls until no record log holds entries; the time it took (ms) or null after `timeoutMs`. */
export async function waitLogsFolded(dataDir: string, timeoutMs: number, since = nowMs()): Promise<number | null> {
  const deadline = nowMs() + timeoutMs;
  while (nowMs() < deadline) {
    if ((await pendingLogs(dataDir)) === 0) return Math.round(nowMs() - since);
    await sleep(100);
  }
  return null;
}

/**
 * Watches the record logs fold: the number still holding entries once a second, until none does
 * (the time it took since `since`, in ms) or `timeoutMs` passes (null).
 */
export async function watchFolding(
  dataDir: string,
  timeoutMs: number,
  since = nowMs(),
): Promise<{ foldedMs: number | null; pendingEachSecond: number[] }> {
  const start = nowMs();
  const pendingEachSecond: number[] = [];
  for (let s = 0; ; s++) {
    const pending = await pendingLogs(dataDir);
    pendingEachSecond.push(pending);
    if (pending === 0) return { foldedMs: Math.round(nowMs() - since), pendingEachSecond };
    if (nowMs() - start > timeoutMs) return { foldedMs: null, pendingEachSecond };
    await sleep(Math.max(1, start + (s + 1) * 1000 - nowMs()));
  }
}

/**
 * Connects a full replica to a record, waits for its state and returns what `read` finds in it
 * (retrying until `accept` agrees or `timeoutMs` passes): how a scenario checks what a server holds.
 */
export async function probe<T>(
  url: string,
  read: (bot: Bot) => T,
  accept: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<{ value: T; syncMs: number }> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const bot = new Bot({ url, remote: "all" });
    try {
      bot.connect();
      const synced = await Promise.race([bot.whenSynced(), sleep(Math.max(1, deadline - nowMs())).then(() => false)]);
      if (synced) {
        const value = read(bot);
        if (accept(value) || nowMs() > deadline) return { value, syncMs: bot.syncMs };
      } else if (nowMs() > deadline)
        throw new ScenarioError(`probe of ${url} did not sync within ${timeoutMs} ms (${bot.lastError ?? "no error"})`);
    } finally {
      bot.destroy();
    }
    await sleep(100);
  }
}
