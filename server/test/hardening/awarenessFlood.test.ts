import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as encoding from "lib0/encoding";
import { CloseCode, encodeAwarenessFrame } from "@tessera/shared-crdt";
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
 * Awareness entry flood (Hardening II, item 3): the limits capped bytes and frames, not entries, so
 * one 7.9 MB awareness frame with 240,000 entries stalled everyone for seconds — from any role,
 * viewers included. Now a frame announcing more than `maxAwarenessEntriesPerFrame` entries is
 * refused before any is decoded, and a connection may introduce at most
 * `maxAwarenessClientsPerConnection` awareness client ids; both close with 4430.
 */

/** Plus twice the p99 measured without attack just before (the headroom a loaded 2-core machine needs). */
const HEALTH_P99_MS = 200;
const EDIT_P99_MS = 2_000;

/** An awareness update with `n` entries (client ids from `firstId`), each a small valid state. */
function awarenessUpdate(n: number, firstId: number, pad = 4): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, n);
  for (let i = 0; i < n; i++) {
    encoding.writeVarUint(e, firstId + i);
    encoding.writeVarUint(e, 1);
    encoding.writeVarString(e, JSON.stringify({ cursor: "x".repeat(pad), i }));
  }
  return encoding.toUint8Array(e);
}

let server: ServerUnderAttack;
let legitToken: string;
const report: string[] = [];

beforeAll(async () => {
  server = await startServerUnderAttack(["r1", "r2"]);
  legitToken = await tokenFor(server.url, "annotator");
}, 60_000);

afterAll(async () => {
  if (report.length > 0) console.log(`awareness flood:\n  ${report.join("\n  ")}`);
  await server?.stop();
});

describe("awareness entry flood", () => {
  const big = encodeAwarenessFrame(awarenessUpdate(240_000, 1_000_000));

  for (const role of ["viewer", "annotator"] as const) {
    it(`refuses one awareness frame with 240,000 entries from a ${role} with 4430, without stalling others`, async () => {
      expect(big.length).toBeGreaterThan(7_000_000);
      expect(big.length).toBeLessThan(8 * 1024 * 1024);
      const attackerToken = await tokenFor(server.url, role);
      const pair = await legitimatePair(server, "r1", legitToken);
      try {
        const baseWatch = watchServer(server);
        const baseEdits = await editWhile(pair, 40);
        const base = await baseWatch.stop();
        const watch = watchServer(server);
        const attacker = rawPeer(`${server.wsBase}/r1`, attackerToken);
        await attacker.opened;
        attacker.ws.send(big);
        const closed = attacker.closed;
        const edits = await editWhile(pair, closed);
        const { code, reason } = await closed;
        const { health } = await watch.stop();
        report.push(formatSummary(`${role}, baseline: GET /health`, base.health));
        report.push(formatSummary(`${role}, 240k entries: GET /health`, health));
        report.push(formatSummary(`${role}, 240k entries: legitimate edit`, edits));
        report.push(`${role}: ${(big.length / 1e6).toFixed(1)} MB frame → closed with ${code} (${reason})`);
        expect(code).toBe(CloseCode.tooManyAwarenessClients);
        expect(server.alive()).toBe(true);
        expect(health.errors).toBe(0);
        expect(health.p99, "/health p99 while the frame is handled").toBeLessThan(HEALTH_P99_MS + 2 * base.health.p99);
        expect(edits.errors).toBe(0);
        expect(edits.p99, "legitimate edit p99 while the frame is handled").toBeLessThan(
          EDIT_P99_MS + 2 * baseEdits.p99,
        );
      } finally {
        pair.destroy();
      }
    }, 120_000);
  }

  it("closes a connection that claims more than 8 distinct awareness client ids with 4430 (a client has one)", async () => {
    const attackerToken = await tokenFor(server.url, "viewer");
    const attacker = rawPeer(`${server.wsBase}/r2`, attackerToken);
    await attacker.opened;
    // Eight ids, one frame each: allowed (a few tabs' worth of reconnects); the ninth is not.
    for (let i = 0; i < 9; i++) attacker.ws.send(encodeAwarenessFrame(awarenessUpdate(1, 5_000 + i)));
    const { code, reason } = await attacker.closed;
    report.push(`9 distinct client ids on one connection → closed with ${code} (${reason})`);
    expect(code).toBe(CloseCode.tooManyAwarenessClients);
    expect(reason).toMatch(/awareness client ids/);
  }, 60_000);

  it("still relays a normal client's own awareness state", async () => {
    const attackerToken = await tokenFor(server.url, "viewer");
    const a = rawPeer(`${server.wsBase}/r2`, attackerToken);
    const b = rawPeer(`${server.wsBase}/r2`, legitToken);
    await Promise.all([a.opened, b.opened]);
    for (let i = 0; i < 3; i++) a.ws.send(encodeAwarenessFrame(awarenessUpdate(1, 7_000)));
    await waitFor(() => b.received().some((f) => f[0] === 1 && f.length > 20), "a's state relayed to b");
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    a.ws.close();
    b.ws.close();
  }, 60_000);
});
