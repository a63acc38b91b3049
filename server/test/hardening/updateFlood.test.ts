import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import * as Y from "yjs";
import {
  CloseCode,
  decodeTesseraMessage,
  encodeSyncFrame,
  MessageType,
  SyncType,
  writeRowCells,
} from "@tessera/shared-crdt";
import { syncLimitsFromEnv, SyncLimitsEnvError } from "../../src/sync/limitsEnv.js";
import { waitFor } from "../sync/support/harness.js";
import {
  editWhile,
  formatSummary,
  legitimatePair,
  rawPeer,
  startServerUnderAttack,
  tokenFor,
  watchServer,
  type ServerUnderAttack,
} from "./syncFloodSupport.js";

/**
 * Update flood (Hardening II, item 2): one annotator connection sends thousands of tiny valid
 * updates back to back. Before the fix every update added a barrier over all pending appends
 * (quadratic work): 3,000 froze the server for seconds and 20,000 ran it out of memory. Now each
 * connection has a bounded intake: frames are handled in batches (one log append each), the socket
 * is paused while the backlog is large, and a backlog past the hard bound closes with 4429.
 * Measured on a real server process with a legitimate stock y-websocket pair editing meanwhile.
 */

/**
 * What a flood may cost others: /health p99 under 200 ms, legitimate edits p99 under 2 s, each
 * plus twice the p99 measured just before without attack — the headroom a loaded 2-core CI
 * machine needs (on a quiet one the baseline p99 is a few ms; baseline and flood figures are
 * printed) — and server RSS growth under 200 MB.
 */
const HEALTH_P99_MS = 200;
const EDIT_P99_MS = 2_000;
const RSS_GROWTH_MB = 200;

/** `n` tiny valid updates from one client: an entity, then `n - 1` changes of its category. */
function floodFrames(recordId: string, n: number): Uint8Array[] {
  const doc = new Y.Doc();
  const frames: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => frames.push(encodeSyncFrame(SyncType.update, u)));
  doc.transact(() =>
    writeRowCells(doc, "entities", { id: `flood-${recordId}`, record_id: recordId, parent_id: "", category: "c0" }),
  );
  const row = doc.getMap("entities").get(`flood-${recordId}`);
  if (!(row instanceof Y.Map)) throw new Error("the flood row is not a Y.Map");
  for (let i = 1; i < n; i++) row.set("category", `c${i}`);
  doc.destroy();
  return frames;
}

/**
 * Sends every frame without waiting for anything from the server; every 200 frames this process
 * lets its own probes run, so the latency measured is the server's, not the flooder's loop.
 */
async function sendAll(ws: WebSocket, frames: readonly Uint8Array[]): Promise<void> {
  for (const [i, f] of frames.entries()) {
    ws.send(f);
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
}

interface FloodOutcome {
  readonly closedWith: number | null;
  readonly confirmed: number;
  readonly echoes: number;
  readonly ms: number;
}

let server: ServerUnderAttack;
let legitToken: string;
let attackerToken: string;
const report: string[] = [];

beforeAll(async () => {
  server = await startServerUnderAttack(["r1", "r2", "r3"]);
  legitToken = await tokenFor(server.url, "annotator");
  // Annotator on the dataset: its updates are applied, not dropped as a viewer's would be.
  attackerToken = await tokenFor(server.url, "dsannotator");
}, 60_000);

afterAll(async () => {
  if (report.length > 0) console.log(`update flood:\n  ${report.join("\n  ")}`);
  await server?.stop();
});

/**
 * Sends `frames` back to back from a raw annotator socket (a Tessera client, so it is told how many
 * of its updates are durable) and resolves once it was closed or every update was confirmed.
 */
async function flood(s: ServerUnderAttack, recordId: string, frames: readonly Uint8Array[]): Promise<FloodOutcome> {
  const peer = rawPeer(`${s.wsBase}/${recordId}?tessera=1`, attackerToken);
  await peer.opened;
  const t0 = Date.now();
  let closedWith: number | null = null;
  void peer.closed.then((c) => (closedWith = c.code));
  await sendAll(peer.ws, frames);
  const confirmed = () => {
    let n = 0;
    for (const f of peer.received()) {
      if (f[0] !== MessageType.tessera) continue;
      const msg = decodeTesseraMessage(f);
      if (msg.kind === "confirmed") n = Math.max(n, msg.count);
    }
    return n;
  };
  await waitFor(
    () => closedWith !== null || confirmed() >= frames.length,
    "the flood closed or fully confirmed",
    120_000,
  );
  const ms = Date.now() - t0;
  const echoes = peer.received().filter((f) => f[0] === MessageType.sync && f[1] === SyncType.update).length;
  const outcome = { closedWith, confirmed: confirmed(), echoes, ms };
  peer.ws.terminate();
  return outcome;
}

async function floodWhileEditing(what: string, recordId: string, n: number): Promise<FloodOutcome> {
  const frames = floodFrames(recordId, n);
  const pair = await legitimatePair(server, recordId, legitToken);
  try {
    // Baseline without attack (warms the path the legitimate edits take), then memory.
    const baseWatch = watchServer(server);
    const baseEdits = await editWhile(pair, 40);
    const base = await baseWatch.stop();
    report.push(formatSummary(`${what}, baseline: GET /health`, base.health));
    report.push(formatSummary(`${what}, baseline: legitimate edit`, baseEdits));
    const rssBefore = server.rssMb();
    const watch = watchServer(server);
    const attack = flood(server, recordId, frames);
    const edits = await editWhile(
      pair,
      attack.then(() => undefined),
    );
    const outcome = await attack;
    const { health, peakRssMb } = await watch.stop();
    report.push(formatSummary(`${what}: GET /health`, health));
    report.push(formatSummary(`${what}: legitimate edit round-trip`, edits));
    report.push(
      `${what}: attacker ${outcome.closedWith !== null ? `closed with ${outcome.closedWith}` : "throttled, all updates confirmed"} after ${outcome.ms} ms; ` +
        `${outcome.confirmed} confirmed in ${outcome.echoes} echoes; server RSS ${rssBefore.toFixed(0)} MB → peak ${peakRssMb.toFixed(0)} MB`,
    );
    expect(server.alive(), "the server survived").toBe(true);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(health.errors, "failed /health probes").toBe(0);
    expect(health.p99, "/health p99 during the flood").toBeLessThan(HEALTH_P99_MS + 2 * base.health.p99);
    expect(edits.errors, "failed legitimate edits").toBe(0);
    expect(edits.p99, "legitimate edit p99 during the flood").toBeLessThan(EDIT_P99_MS + 2 * baseEdits.p99);
    expect(peakRssMb - rssBefore, "server RSS growth (MB)").toBeLessThan(RSS_GROWTH_MB);
    return outcome;
  } finally {
    pair.destroy();
  }
}

describe("update flood from one annotator connection", () => {
  it("3,000 tiny updates back to back no longer freeze the server: /health and others' edits stay fast, and the updates are applied in batches", async () => {
    const out = await floodWhileEditing("3,000 updates", "r1", 3_000);
    // With the default bounds a TCP sender is throttled (its socket paused), not closed.
    expect(out.closedWith).toBeNull();
    expect(out.confirmed).toBe(3_000);
    // Coalesced: far fewer log appends (one echo each) than updates.
    expect(out.echoes).toBeLessThan(3_000 / 10);
  }, 180_000);

  it("20,000 tiny updates in a burst leave /health under 200 ms and memory bounded (the barrier no longer grows with every update)", async () => {
    const out = await floodWhileEditing("20,000 updates", "r2", 20_000);
    if (out.closedWith !== null) expect(out.closedWith).toBe(CloseCode.tooManyPending);
    else {
      expect(out.confirmed).toBe(20_000);
      expect(out.echoes).toBeLessThan(20_000 / 10);
    }
  }, 240_000);
});

describe("update flood past the hard bound", () => {
  let tight: ServerUnderAttack;
  beforeAll(async () => {
    // Never pause, and a small hard bound: the first socket chunk of the burst passes it.
    tight = await startServerUnderAttack(["r1"], {
      TESSERA_WS_INTAKE_PAUSE_FRAMES: "1000000",
      TESSERA_WS_MAX_PENDING_FRAMES: "300",
    });
  }, 60_000);
  afterAll(async () => {
    await tight?.stop();
  });

  it("closes a connection whose backlog of pending updates passes TESSERA_WS_MAX_PENDING_FRAMES with 4429, and keeps serving others", async () => {
    const token = await tokenFor(tight.url, "dsannotator");
    const legit = await tokenFor(tight.url, "annotator");
    const pair = await legitimatePair(tight, "r1", legit);
    try {
      const peer = rawPeer(`${tight.wsBase}/r1`, token);
      await peer.opened;
      await sendAll(peer.ws, floodFrames("r1", 20_000));
      const closed = await peer.closed;
      report.push(`hard bound 300 frames: attacker closed with ${closed.code} (${closed.reason})`);
      expect(closed.code).toBe(CloseCode.tooManyPending);
      expect(closed.reason).toBe("too many pending updates");
      expect(await pair.roundTrip()).toBeLessThan(EDIT_P99_MS);
      expect(tight.alive()).toBe(true);
    } finally {
      pair.destroy();
    }
  }, 120_000);
});

describe("TESSERA_WS_* sync limits", () => {
  it("reads the intake and awareness bounds from the environment and refuses values that are not positive integers", () => {
    expect(
      syncLimitsFromEnv({
        TESSERA_WS_MAX_PENDING_FRAMES: "300",
        TESSERA_WS_AWARENESS_CLIENTS_PER_CONNECTION: " 4 ",
        TESSERA_WS_INTAKE_SLICE_MS: "",
      }),
    ).toEqual({
      maxPendingFrames: 300,
      maxAwarenessClientsPerConnection: 4,
    });
    expect(() => syncLimitsFromEnv({ TESSERA_WS_INTAKE_PAUSE_BYTES: "-1" })).toThrow(SyncLimitsEnvError);
    expect(() => syncLimitsFromEnv({ TESSERA_WS_AWARENESS_ENTRIES_PER_FRAME: "8.5" })).toThrow(
      /TESSERA_WS_AWARENESS_ENTRIES_PER_FRAME must be a positive integer/,
    );
  });
});
