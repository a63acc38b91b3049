import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as Y from "yjs";
import { encodeAwarenessFrame, encodeSyncFrame, SyncType, writeRowCells } from "@tessera/shared-crdt";
import { nowMs, pollUntil, sleep } from "../clock.js";
import { createCollabDataset } from "../gen/collabDataset.js";
import { editorPair, type EditorPair } from "../probes/editorPair.js";
import { sampleProcessTree } from "../procStats.js";
import type { BenchServer } from "../servers/process.js";
import { startTessera } from "../servers/tessera.js";
import { fmt, latencyCells, numberOption, summarize, type ScenarioContext, type ScenarioOutput } from "./common.js";
import type { LatencySummary } from "../stats.js";

/**
 * `attacks` (Tessera only): a legitimate stock y-websocket client edits while each flood runs in
 * turn — an update flood (one annotator socket, N tiny valid updates back to back), an awareness
 * entry flood (one frame with 240,000 entries, from a viewer), an oversized-map flood (a client
 * writing megabytes into `doc.getMap("junk")`) and socket.io long-polling abuse (a handshake, then
 * POSTs with its sid). For each: the legitimate edit latency (p50/p99, writer → server → reader),
 * errors, the server tree's peak RSS during the phase, what the attacker experienced, and whether
 * the server survived (a dead server is restarted on the same DATA_DIR for the next phase).
 */
interface AttackParams {
  readonly updates: number;
  readonly awarenessEntries: number;
  readonly junkMb: number;
  readonly pollingPosts: number;
  /** Longest wait for one flood to settle. */
  readonly phaseTimeoutS: number;
}

interface AttackPhase {
  readonly attack: string;
  readonly edits: LatencySummary;
  readonly editErrors: number;
  readonly peakRssMb: number;
  readonly survived: boolean;
  readonly seconds: number;
  /** What the attacker saw: a close code, statuses, confirmations. */
  readonly outcome: string;
}

function attackParams(ctx: ScenarioContext): AttackParams {
  return {
    updates: numberOption(ctx.args, "--updates", 20_000),
    awarenessEntries: numberOption(ctx.args, "--entries", 240_000),
    junkMb: numberOption(ctx.args, "--junk-mb", 6),
    pollingPosts: numberOption(ctx.args, "--posts", 200),
    phaseTimeoutS: numberOption(ctx.args, "--phase-timeout-s", 30),
  };
}

const RECORD = "attacked";

function syncBase(server: BenchServer, datasetId: string): string {
  return `${server.wsUrl}/sync/${datasetId}`;
}

/** A raw socket of the attacker; `role` as a query parameter (the bench runs in single-user mode). */
function rawSocket(url: string): {
  ws: WebSocket;
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  frames: Uint8Array[];
} {
  const ws = new WebSocket(url);
  const frames: Uint8Array[] = [];
  ws.on("message", (d: Buffer) => frames.push(new Uint8Array(d)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  // An error after the open (reset by the server) also ends in "close".
  ws.on("error", () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, opened, closed, frames };
}

/** Sends every frame back to back, letting this process's own measurements run every 200 frames. */
async function sendAll(ws: WebSocket, frames: readonly Uint8Array[]): Promise<void> {
  for (const [i, f] of frames.entries()) {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(f);
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
}

function settle<T>(p: Promise<T>, timeoutMs: number): Promise<T | "timeout"> {
  return Promise.race([p, sleep(timeoutMs).then(() => "timeout" as const)]);
}

async function updateFlood(server: BenchServer, datasetId: string, n: number, timeoutMs: number): Promise<string> {
  const doc = new Y.Doc();
  const frames: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => frames.push(encodeSyncFrame(SyncType.update, u)));
  doc.transact(() => writeRowCells(doc, "entities", { id: "flood", record_id: RECORD, parent_id: "", category: "c0" }));
  const row = doc.getMap("entities").get("flood");
  if (!(row instanceof Y.Map)) throw new Error("flood row is not a Y.Map");
  for (let i = 1; i < n; i++) row.set("category", `c${i}`);
  doc.destroy();
  const peer = rawSocket(`${syncBase(server, datasetId)}/${RECORD}?name=flooder&role=annotator&tessera=1`);
  await peer.opened;
  const confirmed = () => {
    let c = 0;
    for (const f of peer.frames) {
      if (f[0] !== 100) continue;
      const m = /"count":(\d+)/.exec(Buffer.from(f).toString("utf8"));
      if (m) c = Math.max(c, Number(m[1]));
    }
    return c;
  };
  await sendAll(peer.ws, frames);
  const r = await settle(
    Promise.race([peer.closed, pollUntil(() => confirmed() >= frames.length, timeoutMs).then(() => null)]),
    timeoutMs,
  );
  peer.ws.terminate();
  if (r === "timeout" || r === null)
    return `${confirmed()}/${frames.length} confirmed${r === "timeout" ? " (timeout)" : ""}`;
  return `closed ${r.code} after ${confirmed()}/${frames.length} confirmed`;
}

async function awarenessFlood(
  server: BenchServer,
  datasetId: string,
  entries: number,
  timeoutMs: number,
): Promise<string> {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, entries);
  for (let i = 0; i < entries; i++) {
    encoding.writeVarUint(e, 1_000_000 + i);
    encoding.writeVarUint(e, 1);
    encoding.writeVarString(e, JSON.stringify({ cursor: "xxxx", i }));
  }
  const frame = encodeAwarenessFrame(encoding.toUint8Array(e));
  const peer = rawSocket(`${syncBase(server, datasetId)}/${RECORD}?name=peeker&role=viewer`);
  await peer.opened;
  peer.ws.send(frame);
  const r = await settle(peer.closed, timeoutMs);
  peer.ws.terminate();
  return `${(frame.length / 1e6).toFixed(1)} MB frame: ${r === "timeout" ? "not closed" : `closed ${r.code}`}`;
}

async function junkMapFlood(server: BenchServer, datasetId: string, mb: number, timeoutMs: number): Promise<string> {
  const doc = new Y.Doc();
  const frames: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => frames.push(encodeSyncFrame(SyncType.update, u)));
  for (let i = 0; i < mb; i++) doc.getMap("junk").set(`k${i}`, "j".repeat(1024 * 1024));
  doc.destroy();
  const peer = rawSocket(`${syncBase(server, datasetId)}/${RECORD}?name=junker&role=annotator&tessera=1`);
  await peer.opened;
  await sendAll(peer.ws, frames);
  const echoes = () =>
    peer.frames.filter((f) => f[0] === 0 && f[1] === SyncType.update && f.length > 1024 * 1024).length;
  const refusals = () =>
    peer.frames.filter((f) => f[0] === 100 && Buffer.from(f).toString("utf8").includes('"outside_layout"')).length;
  const r = await settle(
    Promise.race([peer.closed, pollUntil(() => echoes() + refusals() >= frames.length, timeoutMs).then(() => null)]),
    timeoutMs,
  );
  peer.ws.terminate();
  const verdict =
    r === "timeout" || r === null
      ? `${echoes()}/${frames.length} echoed, ${refusals()} refused as outside_layout`
      : `closed ${r.code}`;
  // What the server kept: the whole document a newcomer receives (step 2 for an empty state vector).
  const fresh = rawSocket(`${syncBase(server, datasetId)}/${RECORD}?name=newcomer&role=viewer`);
  await fresh.opened;
  fresh.ws.send(encodeSyncFrame(SyncType.step1, Y.encodeStateVector(new Y.Doc())));
  const step2 = () => fresh.frames.find((f) => f[0] === 0 && f[1] === SyncType.step2);
  await settle(
    pollUntil(() => step2() !== undefined, timeoutMs),
    timeoutMs,
  );
  const kept = step2()?.length;
  fresh.ws.terminate();
  return `${mb} × 1 MB into getMap("junk"): ${verdict}; a newcomer's copy of the record: ${kept === undefined ? "no answer" : `${(kept / 1024).toFixed(0)} KB`}`;
}

async function pollingAbuse(server: BenchServer, posts: number): Promise<string> {
  const statuses = new Map<string, number>();
  const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
  const hs = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`).then(
    async (r) => ({ status: r.status, body: await r.text() }),
    (err: unknown) => ({ status: 0, body: String(err) }),
  );
  const sid = /"sid":"([^"]+)"/.exec(hs.body)?.[1];
  if (!sid) return `handshake ${hs.status}: no sid`;
  const bodies = ["40/live,", "40", "2", "garbage\u001e\u001e", "4".repeat(1024 * 1024), '42/live,["x"]'];
  await Promise.all(
    Array.from({ length: posts }, async (_, i) => {
      try {
        const r = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, {
          method: "POST",
          headers: { "content-type": "text/plain;charset=UTF-8" },
          body: bodies[i % bodies.length],
        });
        await r.arrayBuffer();
        count(String(r.status));
      } catch (err) {
        // A refused or reset connection is what the attacker experienced: counted, not fatal.
        count((err as Error).name === "TypeError" ? "network error" : (err as Error).message);
      }
    }),
  );
  return `handshake ${hs.status}; ${posts} POSTs: ${[...statuses].map(([k, v]) => `${k}×${v}`).join(", ")}`;
}

/** Two legitimate stock clients; `roundTrip()` adds an entity on one and waits for it on the other. */
function legitimate(server: BenchServer, datasetId: string): Promise<EditorPair> {
  return editorPair(syncBase(server, datasetId), RECORD, { role: "annotator" });
}

async function alive(server: BenchServer): Promise<boolean> {
  try {
    process.kill(server.pid, 0);
    const r = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(5_000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    // Gone (ESRCH) or not answering: that is the answer.
    return false;
  }
}

export async function runAttacks(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const params = attackParams(ctx);
  const data = await createCollabDataset({ records: [{ id: RECORD, boxes: 20 }], label: "attacks" });
  let server = await startTessera({ dataDir: data.dataDir });
  const phases: AttackPhase[] = [];
  const timeoutMs = params.phaseTimeoutS * 1000;
  const attacks: Array<[string, () => Promise<string>]> = [
    // The same measurement with nobody attacking: what the phases below compare with.
    ["no attack (2 s window)", () => new Promise<string>((resolve) => setTimeout(() => resolve("quiet"), 2_000))],
    [`update flood (${params.updates})`, () => updateFlood(server, data.datasetId, params.updates, timeoutMs)],
    [
      `awareness entries (${params.awarenessEntries})`,
      () => awarenessFlood(server, data.datasetId, params.awarenessEntries, timeoutMs),
    ],
    [`junk map (${params.junkMb} MB)`, () => junkMapFlood(server, data.datasetId, params.junkMb, timeoutMs)],
    [`socket.io polling (${params.pollingPosts} POSTs)`, () => pollingAbuse(server, params.pollingPosts)],
  ];
  try {
    for (const [name, attack] of attacks) {
      ctx.log(`attacks: ${name}`);
      if (!(await alive(server))) {
        await server.stop();
        server = await startTessera({ dataDir: data.dataDir });
      }
      const pair = await legitimate(server, data.datasetId);
      let peak = 0;
      const sample = () =>
        sampleProcessTree(server.pid).then(
          (s) => (peak = Math.max(peak, s.rssBytes)),
          () => undefined, // the tree is gone (crash): "survived" reports it
        );
      await sample();
      const sampler = setInterval(() => void sample(), 100);
      const t0 = nowMs();
      let done = false;
      const outcome = attack().then(
        (o) => o,
        (err: unknown) => `attack failed: ${(err as Error).message}`,
      );
      void outcome.finally(() => (done = true));
      const latencies: number[] = [];
      let errors = 0;
      while (!done || latencies.length + errors === 0) {
        try {
          latencies.push(await pair.roundTrip());
        } catch {
          // Counted: a legitimate edit that never arrived is what this benchmark reports.
          errors++;
          if (!(await alive(server))) break;
        }
      }
      const seen = await outcome;
      clearInterval(sampler);
      await sample();
      pair.destroy();
      const survived = await alive(server);
      phases.push({
        attack: name,
        edits: summarize(latencies),
        editErrors: errors,
        peakRssMb: Math.round(peak / 2 ** 20),
        survived,
        seconds: Math.round((nowMs() - t0) / 100) / 10,
        outcome: seen,
      });
    }
  } finally {
    await server.stop();
    await data.cleanup();
  }
  return {
    json: { scenario: "attacks", params, phases },
    tables: [
      {
        head: [
          "attack",
          "edits",
          "p50 ms",
          "p95 ms",
          "p99 ms",
          "max ms",
          "errors",
          "peak RSS MB",
          "survived",
          "s",
          "attacker saw",
        ],
        rows: phases.map((p) => [
          p.attack,
          String(p.edits.n),
          ...latencyCells(p.edits),
          String(p.editErrors),
          fmt(p.peakRssMb, 0),
          p.survived ? "yes" : "NO",
          fmt(p.seconds),
          p.outcome,
        ]),
      },
    ],
  };
}
