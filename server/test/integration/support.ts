import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as decoding from "lib0/decoding";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { Library } from "@tessera/dataset";
import { MessageType, type TesseraMessage } from "@tessera/shared-crdt";
import { waitFor } from "../sync/support/harness.js";

export { waitFor };

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
export const DS = "live-ds";
const str = (dflt = "") => ({ collection: false, type: "str", required: false, default: dflt });

/** A temp DATA_DIR with one dataset declaring entities, bboxes, keypoints, polygons, tracklets and messages. */
export async function buildDataDir(
  records: readonly string[],
): Promise<{ root: string; dataDir: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-live-"));
  const dataDir = path.join(root, "data");
  const library = new Library(dataDir);
  await library.init();
  const ds = await library.create("live_ds", {
    id: DS,
    name: "Live DS",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Thing", fields: { category: str() } },
    bbox: { base: "BBox", fields: {} },
    keypoint: { base: "KeyPoints", fields: {} },
    multi_path: { base: "MultiPath", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    message: { base: "Message", fields: {} },
    views: { image: { base: "SequenceFrame", fields: {} } },
  });
  await ds.add(
    "records",
    records.map((id) => ({ id, split: "train" })),
  );
  await library.close();
  return { root, dataDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface ServerProcess {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and the JSON-lines log on stderr). */
  logs(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** Sends a signal and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * The real server as its own process (`server/src/main.ts`, port 0, single-user mode unless `env`
 * says otherwise), stopped by PID. The one way tests start a server process.
 */
export async function spawnServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0", TESSERA_AUTH: "off", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let logs = "";
  child.stderr?.on("data", (d: Buffer) => (logs += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      logs += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) =>
      reject(new Error(`server exited with ${String(code)} before listening: ${logs.slice(-4000)}`)),
    );
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals) => {
    if (alive()) child.kill(signal);
    await exited;
  };
  return {
    url,
    wsUrl: url.replace(/^http/, "ws"),
    port: Number(new URL(url).port),
    child,
    logs: () => logs,
    alive,
    kill,
    stop: () => kill("SIGTERM"),
  };
}

export interface LiveClient {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  /** Content frames of this connection the server has confirmed durable. */
  confirmed(): number;
  readonly rejected: TesseraMessage[];
  synced(): Promise<void>;
  destroy(): void;
}

/**
 * Tessera's client at the protocol level: the stock y-websocket provider plus a handler for
 * Tessera's type-100 messages (confirmations, rejections), as the web client has.
 */
export function liveClient(server: ServerProcess, recordId: string, name: string, dataset = DS): LiveClient {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${server.wsUrl}/sync/${dataset}`, recordId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { name, tessera: "1" },
    disableBc: true,
  });
  let confirmed = 0;
  const rejected: TesseraMessage[] = [];
  provider.messageHandlers[MessageType.tessera] = (_encoder, decoder) => {
    const msg = JSON.parse(decoding.readVarString(decoder)) as TesseraMessage;
    if (msg.kind === "confirmed") confirmed = Math.max(confirmed, msg.count);
    if (msg.kind === "rejected") rejected.push(msg);
  };
  return {
    doc,
    provider,
    confirmed: () => confirmed,
    rejected,
    synced: () => waitFor(() => provider.synced, `${name} synced`).then(() => undefined),
    destroy() {
      provider.awareness.setLocalState(null);
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Counts the content frames a provider sends (each local doc update becomes one `[0,2,…]` frame). */
export function countLocalUpdates(doc: Y.Doc): () => number {
  let n = 0;
  doc.on("update", (_u: Uint8Array, origin: unknown) => {
    if (!(origin instanceof WebsocketProvider)) n++;
  });
  return () => n;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
