import { monitorEventLoopDelay } from "node:perf_hooks";
import * as decoding from "lib0/decoding";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { MessageType, tableMap } from "@tessera/shared-crdt";
import { nowMs, sleep } from "../clock.js";
import type { ObserverCommands } from "./commands.js";
import { serveRpc } from "./rpc.js";
import { readStamp } from "./stamps.js";

/**
 * The observers of a benchmark: real y-websocket 3.1 `WebsocketProvider` clients (the method of
 * collaboration.md §4.3) in their own process. Each one times every box edit and awareness state
 * of the other clients from the send time they carry to the moment its document (or awareness)
 * fires, on the shared clock. They send awareness at the same rate as the bots; they do not edit.
 */
interface Observer {
  readonly index: number;
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  /** `[sentAt, latencyMs]` */
  readonly edits: Array<[number, number]>;
  readonly awareness: Array<[number, number]>;
  readonly seen: Record<number, number>;
  readonly lastSeq: Record<number, number>;
}

const observers: Observer[] = [];
let timers: NodeJS.Timeout[] = [];
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

function watch(o: Observer): void {
  tableMap(o.doc, "bboxes").observeDeep((events) => {
    const now = nowMs();
    for (const e of events) {
      if (!(e instanceof Y.YMapEvent) || !e.keysChanged.has("source_metadata") || e.path.length !== 1) continue;
      const stamp = readStamp((e.target as Y.Map<unknown>).get("source_metadata"));
      if (!stamp) continue;
      o.edits.push([stamp.t, now - stamp.t]);
      o.seen[stamp.c] = (o.seen[stamp.c] ?? 0) + 1;
      if (stamp.s > (o.lastSeq[stamp.c] ?? -1)) o.lastSeq[stamp.c] = stamp.s;
    }
  });
  const awareness = o.provider.awareness;
  awareness.on("change", ({ added, updated }: { added: number[]; updated: number[] }) => {
    const now = nowMs();
    for (const id of [...added, ...updated]) {
      if (id === awareness.clientID) continue;
      const t = (awareness.getStates().get(id) as { t?: unknown } | undefined)?.t;
      if (typeof t === "number") o.awareness.push([t, now - t]);
    }
  });
}

function waitSynced(p: WebsocketProvider, timeoutMs: number): Promise<boolean> {
  if (p.synced) return Promise.resolve(true);
  return Promise.race([
    new Promise<boolean>((resolve) => {
      const on = (synced: boolean) => {
        if (!synced) return;
        p.off("sync", on);
        resolve(true);
      };
      p.on("sync", on);
    }),
    sleep(timeoutMs).then(() => false),
  ]);
}

const inWindow = (t: number, from: number, to: number) => t >= from && t <= to;
const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;

serveRpc<ObserverCommands>({
  async connect({ serverUrl, recordId, count, tessera, timeoutMs }) {
    const t0 = nowMs();
    const made = Array.from({ length: count }, (_, i): Observer => {
      const doc = new Y.Doc();
      const provider = new WebsocketProvider(serverUrl, recordId, doc, {
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        params: { name: `observer ${i}`, ...(tessera ? { tessera: "1" } : {}) },
        disableBc: true,
      });
      // Tessera's own messages (welcome, confirmed) are read and dropped, as its web client would.
      provider.messageHandlers[MessageType.tessera] = (_encoder, decoder) => {
        decoding.readVarString(decoder);
      };
      const o: Observer = {
        index: observers.length + i,
        doc,
        provider,
        edits: [],
        awareness: [],
        seen: {},
        lastSeq: {},
      };
      watch(o);
      return o;
    });
    observers.push(...made);
    const ok = await Promise.all(made.map((o) => waitSynced(o.provider, timeoutMs)));
    if (ok.some((s) => !s))
      throw new Error(`${ok.filter((s) => !s).length} observers did not sync within ${timeoutMs} ms`);
    return { syncMs: made.map(() => nowMs() - t0) };
  },

  load({ awarenessHz }) {
    observers.forEach((o, i) => {
      const period = 1000 / awarenessHz;
      const tick = () => {
        const t = nowMs();
        o.provider.awareness.setLocalState({
          user: { name: `observer ${o.index}`, color: "#ff7f0e" },
          cursor: { x: Math.round(t % 1000), y: -1 - o.index },
          tool: "pan",
          t,
          c: -1 - o.index,
        });
      };
      timers.push(setTimeout(() => timers.push(setInterval(tick, period)), (i / observers.length) * period));
    });
    return { started: observers.length };
  },

  stopLoad() {
    const n = timers.length;
    for (const t of timers) clearInterval(t);
    timers = [];
    return { stopped: n };
  },

  report({ from, to }) {
    const out = {
      editMs: observers.flatMap((o) => o.edits.filter(([t]) => inWindow(t, from, to)).map(([, l]) => l)),
      awarenessMs: observers.flatMap((o) => o.awareness.filter(([t]) => inWindow(t, from, to)).map(([, l]) => l)),
      worstEdits: observers
        .flatMap((o) => o.edits.filter(([t]) => inWindow(t, from, to)))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20),
      seen: observers.map((o) => ({ ...o.seen })),
      lastSeq: observers.map((o) => ({ ...o.lastSeq })),
      loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
    };
    loop.reset();
    return out;
  },

  hold() {
    for (const o of observers) o.provider.disconnect();
    return { held: observers.length };
  },

  async release({ timeoutMs }) {
    const t0 = nowMs();
    const times: number[] = [];
    let failed = 0;
    await Promise.all(
      observers.map(async (o) => {
        o.provider.connect();
        if (await waitSynced(o.provider, timeoutMs)) times.push(nowMs() - t0);
        else failed++;
      }),
    );
    return { syncMs: times, failed };
  },

  leave() {
    for (const t of timers) clearInterval(t);
    timers = [];
    const n = observers.length;
    for (const o of observers.splice(0)) {
      o.provider.awareness.setLocalState(null);
      o.provider.destroy();
      o.doc.destroy();
    }
    return { left: n };
  },
});
