import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { readRows, writeRowCells } from "@tessera/shared-crdt";
import { spawnServer } from "../integration/support.js";
import { waitFor } from "../sync/support/harness.js";
import { ADMIN, bearer, buildDataDir, DS, percentile, seedUsers, tokenFor, wsWithHeaders } from "../auth/support.js";

export { tokenFor };

/** A real server process (accounts on, persist worker as a child) on a temp DATA_DIR with `records`. */
export interface ServerUnderAttack {
  readonly url: string;
  readonly wsBase: string;
  readonly child: ChildProcess;
  logs(): string;
  /** Resident memory of the server process now, in MB (`VmRSS` of `/proc/<pid>/status`). */
  rssMb(): number;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startServerUnderAttack(
  records: readonly string[],
  env: Record<string, string> = {},
): Promise<ServerUnderAttack> {
  const data = await buildDataDir(records);
  await seedUsers(data.dataDir);
  const server = await spawnServer(data.dataDir, {
    TESSERA_AUTH: "on",
    TESSERA_ADMIN_USER: ADMIN.username,
    TESSERA_ADMIN_PASSWORD: ADMIN.password,
    ...env,
  });
  const { url, child } = server;
  return {
    url,
    wsBase: `${url.replace(/^http/, "ws")}/sync/${DS}`,
    child,
    logs: server.logs,
    rssMb: () => rssMbOf(child.pid ?? 0),
    alive: server.alive,
    async stop() {
      await server.stop();
      await data.cleanup();
    },
  };
}

function rssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

export interface LatencySummary {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: number;
}

function summarize(latencies: number[], errors: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    errors,
  };
}

export function formatSummary(what: string, s: LatencySummary): string {
  return `${what.padEnd(40)} n=${String(s.samples).padStart(5)}  p50=${s.p50.toFixed(1).padStart(7)} ms  p99=${s.p99.toFixed(1).padStart(7)} ms  max=${s.max.toFixed(1).padStart(7)} ms  errors=${s.errors}`;
}

/**
 * Probes that run while an attack does: `GET /health` in four loops (the latency everyone sees), and
 * the server's peak RSS sampled every 50 ms. `stop()` ends them and returns what they measured.
 */
export function watchServer(server: ServerUnderAttack): {
  stop(): Promise<{ health: LatencySummary; peakRssMb: number }>;
} {
  let done = false;
  const latencies: number[] = [];
  let errors = 0;
  let peakRssMb = server.rssMb();
  const loop = async () => {
    while (!done) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${server.url}/health`);
        await r.arrayBuffer();
        if (r.status !== 200) errors++;
      } catch {
        // Counted; the caller asserts there were none.
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  const sampler = setInterval(() => {
    if (server.alive()) peakRssMb = Math.max(peakRssMb, server.rssMb());
  }, 50);
  const probes = Promise.all([loop(), loop(), loop(), loop()]);
  return {
    async stop() {
      done = true;
      clearInterval(sampler);
      await probes;
      return { health: summarize(latencies, errors), peakRssMb };
    },
  };
}

/**
 * Two legitimate stock y-websocket clients on one record: the writer adds an entity (a new one
 * each time), the reader waits for it. `roundTrip()` is one such edit's latency (writer → server
 * → reader).
 */
export async function legitimatePair(
  server: ServerUnderAttack,
  recordId: string,
  token: string,
): Promise<{ roundTrip(): Promise<number>; destroy(): void }> {
  const polyfill = wsWithHeaders(bearer(token)) as unknown as typeof globalThis.WebSocket;
  const writerDoc = new Y.Doc();
  const readerDoc = new Y.Doc();
  const writer = new WebsocketProvider(server.wsBase, recordId, writerDoc, {
    WebSocketPolyfill: polyfill,
    disableBc: true,
  });
  const reader = new WebsocketProvider(server.wsBase, recordId, readerDoc, {
    WebSocketPolyfill: polyfill,
    disableBc: true,
  });
  await waitFor(() => writer.synced && reader.synced, "legitimate clients synced", 30_000);
  // Ids unique across pairs: a later pair on the same record must not find an earlier pair's rows.
  const prefix = `legit-${randomUUID().slice(0, 8)}`;
  let n = 0;
  return {
    async roundTrip() {
      const id = `${prefix}-${n++}`;
      const t0 = performance.now();
      writerDoc.transact(() =>
        writeRowCells(writerDoc, "entities", { id, record_id: recordId, parent_id: "", category: "legit" }),
      );
      await waitFor(
        () => readRows(readerDoc, "entities").some((r) => r.id === id),
        `legitimate edit ${id} seen`,
        60_000,
      );
      return performance.now() - t0;
    },
    destroy() {
      writer.destroy();
      reader.destroy();
      writerDoc.destroy();
      readerDoc.destroy();
    },
  };
}

/**
 * Runs legitimate edits one after the other until `until` settles (at least one), or `count` of
 * them; their latencies.
 */
export async function editWhile(
  pair: { roundTrip(): Promise<number> },
  until: Promise<unknown> | number,
): Promise<LatencySummary> {
  let done = false;
  if (typeof until !== "number") void until.finally(() => (done = true));
  const enough = (n: number) => (typeof until === "number" ? n >= until : done && n > 0);
  const latencies: number[] = [];
  let errors = 0;
  while (!enough(latencies.length + errors)) {
    try {
      latencies.push(await pair.roundTrip());
    } catch {
      // Counted; the caller asserts there were none.
      errors++;
    }
  }
  return summarize(latencies, errors);
}

/** A raw `ws` connection (the attacker) that records how it ended and what it was sent. */
export interface RawPeer {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Frames received so far. */
  received(): Uint8Array[];
}

export function rawPeer(url: string, token: string, localAddress?: string): RawPeer {
  const ws = new WebSocket(url, { headers: bearer(token), ...(localAddress ? { localAddress } : {}) });
  const frames: Uint8Array[] = [];
  ws.on("message", (d: Buffer) => frames.push(new Uint8Array(d)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, opened, closed, received: () => frames };
}
