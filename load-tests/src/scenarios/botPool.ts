import type { RpcChild } from "../bots/rpc.js";
import type { BotCommands, BotSpec } from "../bots/commands.js";
import { nowMs } from "../clock.js";
import { startBots } from "./common.js";

type Bots = RpcChild<BotCommands>;

/** What `connect` reports, over every process of a pool. */
export interface PoolOpened {
  readonly syncMs: number[];
  readonly startedAt: number;
  readonly lastSyncedAt: number;
  readonly failed: number;
  readonly errors: string[];
}

/** One burst sent by every process of a pool at the same instant. */
export interface PoolBurst {
  readonly edits: number;
  /** Making the edits (Yjs), per process, before the burst: not timed. */
  readonly prepareMs: number[];
  /** Each process's send loop (its frames handed to its sockets one after the other). */
  readonly sendMs: number[];
  /** The shared start → the last frame of any process sent. */
  readonly spreadMs: number;
  readonly startAt: number;
}

/**
 * Bots spread over several load-generator processes, each with its own event loop, so that a burst
 * of edits leaves every process's sockets together and no process's loop sits between a server's
 * answer and the bot that reads it. Specs are dealt out in contiguous slices.
 */
export class BotPool {
  private constructor(readonly procs: readonly Bots[]) {}

  static start(count: number, name = "bots"): BotPool {
    return new BotPool(Array.from({ length: Math.max(1, count) }, (_, i) => startBots(`${name}-${i}`)));
  }

  /** Connects `specs` (dealt out to the processes), `concurrency` joins in flight in all. */
  async connect(specs: readonly BotSpec[], concurrency: number, timeoutMs: number): Promise<PoolOpened> {
    const n = this.procs.length;
    const per = Math.ceil(specs.length / n);
    const results = await Promise.all(
      this.procs.map((p, i) =>
        p.call(
          "connect",
          {
            specs: specs.slice(i * per, (i + 1) * per),
            concurrency: Math.max(1, Math.round(concurrency / n)),
            timeoutMs,
          },
          timeoutMs + 20_000,
        ),
      ),
    );
    const synced = results.map((r) => r.lastSyncedAt).filter((t) => Number.isFinite(t));
    return {
      syncMs: results.flatMap((r) => r.syncMs),
      startedAt: Math.min(...results.map((r) => r.startedAt)),
      lastSyncedAt: synced.length > 0 ? Math.max(...synced) : Number.NaN,
      failed: results.reduce((a, r) => a + r.failed, 0),
      errors: results.flatMap((r) => r.errors).slice(0, 5),
    };
  }

  /** Every bot makes one new entity with its box, held back; then every process sends its own at one shared instant. */
  async burstOfFirstEdits(
    info: Record<string, unknown>,
    options: { marker?: boolean; leadMs?: number } = {},
  ): Promise<PoolBurst> {
    const leadMs = options.leadMs ?? 300;
    const marker = options.marker ?? false;
    const prepared = await Promise.all(this.procs.map((p) => p.call("prepareOnce", { info, marker })));
    const failed = prepared.find((r) => r.errors > 0);
    if (failed) throw new Error(`${failed.errors} edits failed: ${failed.firstError}`);
    const startAt = nowMs() + leadMs;
    const sent = await Promise.all(this.procs.map((p) => p.call("sendHeld", { at: startAt })));
    return {
      edits: prepared.reduce((a, r) => a + r.edits, 0),
      prepareMs: prepared.map((r) => r.prepareMs),
      sendMs: sent.map((r) => r.sendMs),
      spreadMs: Math.round((Math.max(...sent.map((r) => r.lastSentAt)) - startAt) * 100) / 100,
      startAt,
    };
  }

  async waitConfirmed(timeoutMs: number): Promise<{ ackMs: number[]; unconfirmed: number }> {
    const r = await Promise.all(this.procs.map((p) => p.call("waitConfirmed", { timeoutMs }, timeoutMs + 10_000)));
    return { ackMs: r.flatMap((x) => x.ackMs), unconfirmed: r.reduce((a, x) => a + x.unconfirmed, 0) };
  }

  /** Edit sent → the server's answer to the marker behind it, for every bot of the burst. */
  async waitProcessed(timeoutMs: number): Promise<{ processedMs: number[]; unanswered: number }> {
    const r = await Promise.all(this.procs.map((p) => p.call("waitProcessed", { timeoutMs }, timeoutMs + 10_000)));
    return { processedMs: r.flatMap((x) => x.processedMs), unanswered: r.reduce((a, x) => a + x.unanswered, 0) };
  }

  async load(info: Record<string, unknown>, editsPerSec: number): Promise<void> {
    await Promise.all(this.procs.map((p) => p.call("load", { info, editsPerSec, awarenessHz: 0 })));
  }

  async stopLoad(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.call("stopLoad", {})));
  }

  async report(from: number, to: number): Promise<{ ackMs: number[]; editsInWindow: number }> {
    const r = await Promise.all(this.procs.map((p) => p.call("report", { from, to })));
    return { ackMs: r.flatMap((x) => x.ackMs), editsInWindow: r.reduce((a, x) => a + x.editsInWindow, 0) };
  }

  async leave(timeoutMs: number): Promise<void> {
    await Promise.all(this.procs.map((p) => p.call("leave", { timeoutMs }, timeoutMs + 10_000)));
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.close()));
  }
}
