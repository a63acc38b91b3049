import http from "node:http";
import type { AddressInfo } from "node:net";
import * as Y from "yjs";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import { DatasetError, Library, type DatasetHandle } from "@tessera/dataset";
import {
  FileRecordLog,
  FileSnapshotStore,
  type LogEntry,
  type LogPosition,
  type RecordKey,
  type RecordLog,
} from "@tessera/storage";
import { decodeFrame, decodeTesseraMessage, MessageType, type TesseraMessage } from "@tessera/shared-crdt";
import { attachSync, type SyncDeps, type SyncEndpoint } from "../../../src/sync/index.js";
import type { RoomEventName, RoomEvents } from "../../../src/sync/roomEvents.js";
import type { Logger } from "../../../src/logger.js";
import { TestPersister } from "./TestPersister.js";

export type Truthy<T> = Exclude<T, false | null | undefined | 0 | "">;

/** Polls `check` until it returns something truthy, or fails after `timeoutMs`. Never a blind sleep. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The first room event `name` whose payload matches, whether it already happened or is still to
 * come: the test waits for the event itself instead of polling. Fails after `timeoutMs`.
 */
export function roomEvent<K extends RoomEventName>(
  server: TestServer,
  name: K,
  match: (payload: RoomEvents[K]) => boolean,
  timeoutMs = 10_000,
): Promise<RoomEvents[K]> {
  for (const e of server.events)
    if (e.name === name && match(e.payload as RoomEvents[K])) return Promise.resolve(e.payload as RoomEvents[K]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for a ${name} event`));
    }, timeoutMs);
    const off = server.sync.rooms.on(name, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/**
 * The real file log, with a gate tests can close: appends wait at the gate (the fsync "takes
 * forever") until it opens. Everything else goes straight to the file log.
 */
class GatedLog implements RecordLog {
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;
  /** Appends that reached the file log and are waiting at the closed gate. */
  waiting = 0;
  appended = 0;
  constructor(readonly inner: RecordLog) {}
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }
  release(): void {
    this.openGate?.();
    this.gate = null;
  }
  /** The next appends fail like a full or broken disk would. */
  failures = 0;
  async append(key: RecordKey, update: Uint8Array): Promise<LogPosition> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("EIO: disk trouble");
    }
    const pos = await this.inner.append(key, update);
    if (this.gate) {
      this.waiting++;
      await this.gate;
      this.waiting--;
    }
    this.appended++;
    return pos;
  }
  read(key: RecordKey, after?: LogPosition): Promise<LogEntry[]> {
    return this.inner.read(key, after);
  }
  trim(key: RecordKey, upTo: LogPosition): Promise<void> {
    return this.inner.trim(key, upTo);
  }
  pending(): Promise<RecordKey[]> {
    return this.inner.pending();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly http: http.Server;
  readonly sync: SyncEndpoint;
  readonly log: GatedLog;
  readonly snapshots: FileSnapshotStore;
  readonly persister: TestPersister;
  readonly library: Library;
  /** Everything the endpoint logged. */
  readonly logs: Array<{ level: string; message: string; context?: Readonly<Record<string, unknown>> }>;
  /** Every room event so far, in order. */
  readonly events: Array<{ name: RoomEventName; payload: RoomEvents[RoomEventName] }>;
  close(): Promise<void>;
}

export async function startSyncServer(dataDir: string, options: Partial<SyncDeps> = {}): Promise<TestServer> {
  const library = new Library(dataDir);
  const open = async (id: string): Promise<DatasetHandle | null> => {
    try {
      return await library.open(id);
    } catch (err) {
      if (err instanceof DatasetError && err.reason === "dataset_not_found") return null;
      throw err;
    }
  };
  const log = new GatedLog(new FileRecordLog({ dataDir }));
  const snapshots = new FileSnapshotStore({ dataDir });
  const persister = new TestPersister({ open }, log, snapshots);
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const logs: TestServer["logs"] = [];
  const logger: Logger = {
    info: (message, context) => void logs.push({ level: "info", message, context }),
    warn: (message, context) => void logs.push({ level: "warn", message, context }),
    error: (message, context) => void logs.push({ level: "error", message, context }),
  };
  const sync = attachSync(server, { library: { open }, log, snapshots, persister, logger, ...options });
  const events: TestServer["events"] = [];
  for (const name of ["status", "edit", "join", "leave", "loaded", "flushed", "unloaded"] as const) {
    sync.rooms.on(name, (payload) => events.push({ name, payload }));
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    http: server,
    sync,
    log,
    snapshots,
    persister,
    library,
    logs,
    events,
    async close() {
      await sync.close();
      await persister.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await log.close();
      await library.close();
    },
  };
}

/** Frames one provider received, across its reconnects, decoded as far as tests need. */
class FrameSink {
  readonly frames: Uint8Array[] = [];
  tessera(): TesseraMessage[] {
    return this.frames.filter((f) => f[0] === MessageType.tessera).map((f) => decodeTesseraMessage(f));
  }
  /** Document payloads of `[0,1]` and `[0,2]` frames, in order. */
  updates(): Array<{ subtype: number; update: Uint8Array }> {
    const out = [];
    for (const f of this.frames) {
      if (f[0] !== MessageType.sync) continue;
      const m = decodeFrame(f);
      if (m.type === "sync" && m.subtype !== 0) out.push({ subtype: m.subtype, update: m.payload });
    }
    return out;
  }
}

/** A `ws` WebSocket that copies every frame it receives into `sink` (the stock provider still drives it). */
function recordingSocket(sink: FrameSink): typeof WebSocket {
  return class RecordingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.on("message", (data: Buffer) => sink.frames.push(new Uint8Array(data)));
    }
  } as typeof WebSocket;
}

export interface TestClient {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly sink: FrameSink;
  /**
   * Its step 2 arrived and the room admitted it (its `join` event): a first load answers joiners
   * before the room exists, and edits wait for the room.
   */
  synced(): Promise<void>;
  /** Its step 2 arrived (the room may still be loading). */
  answered(): Promise<void>;
  /** Closes the TCP connection without a goodbye (no awareness removal from the client). */
  drop(): void;
  destroy(): void;
}

export interface ClientOptions {
  name?: string;
  role?: string;
  tessera?: boolean;
}

/** A stock y-websocket 3.1.0 `WebsocketProvider` on `ws://…/sync/<dataset>`, room = record id. */
export function connect(
  server: TestServer,
  datasetId: string,
  recordId: string,
  options: ClientOptions = {},
): TestClient {
  const doc = new Y.Doc();
  const sink = new FrameSink();
  const params: Record<string, string> = {};
  if (options.name !== undefined) params.name = options.name;
  if (options.role !== undefined) params.role = options.role;
  if (options.tessera) params.tessera = "1";
  const provider = new WebsocketProvider(
    `${server.url}/sync/${encodeURIComponent(datasetId)}`,
    encodeURIComponent(recordId),
    doc,
    {
      WebSocketPolyfill: recordingSocket(sink) as unknown as typeof globalThis.WebSocket,
      params,
      disableBc: true,
    },
  );
  // The stock client logs "Unable to compute message" for type 100; Tessera's client handles it.
  if (options.tessera) provider.messageHandlers[MessageType.tessera] = () => undefined;
  const since = server.events.length;
  // A Tessera client is in the room once its welcome came; a stock one once a join of its name (or,
  // when its parameters were replaced, any join) on the record was seen after it connected.
  const joined = () =>
    options.tessera
      ? sink.tessera().some((m) => m.kind === "welcome")
      : server.events
          .slice(since)
          .some(
            (e) =>
              e.name === "join" &&
              e.payload.recordId === recordId &&
              (options.name === undefined ||
                provider.params.name !== options.name ||
                (e.payload as { name?: string }).name === options.name),
          );
  return {
    doc,
    provider,
    sink,
    synced: () =>
      waitFor(() => provider.synced && joined(), `${options.name ?? "client"} synced`).then(() => undefined),
    answered: () => waitFor(() => provider.synced, `${options.name ?? "client"} answered`).then(() => undefined),
    drop() {
      provider.shouldConnect = false;
      (provider.ws as unknown as WebSocket | null)?.terminate();
    },
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Raw `ws` client for malformed-frame tests: resolves its close code and reason. */
export function rawSocket(
  server: TestServer,
  path: string,
): { ws: WebSocket; opened: Promise<void>; closed: Promise<{ code: number; reason: string }> } {
  const ws = new WebSocket(`${server.url}${path}`);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, opened, closed };
}

/** What an upgrade to `path` is answered with when refused (HTTP status), or "open". */
export function upgradeStatus(server: TestServer, path: string): Promise<number | "open"> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url}${path}`);
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once("open", () => {
      resolve("open");
      ws.close();
    });
    ws.once("error", (err) => {
      // "unexpected-response" already resolved; a refused upgrade also surfaces as an error.
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/** Applies a list of updates to a fresh doc (e.g. the log's entries) to see what they hold. */
export function docOf(updates: Iterable<Uint8Array>): Y.Doc {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc;
}

/** Whether `update` carries content written by Yjs client `clientID`. */
export function hasContentFrom(update: Uint8Array, clientID: number): boolean {
  const { structs } = Y.decodeUpdate(update);
  return structs.some((s) => s.id.client === clientID);
}
