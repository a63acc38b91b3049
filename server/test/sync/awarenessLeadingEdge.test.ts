import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import { decodeFrame } from "@tessera/shared-crdt";
import { AwarenessRelay, type AwarenessPeer } from "../../src/sync/awarenessRelay.js";
import { decodeAwarenessUpdate } from "../../src/sync/awarenessCodec.js";
import { DEFAULT_LIMITS } from "../../src/sync/limits.js";
import type { AwarenessUser } from "../../src/sync/identity.js";
import { ManualClock } from "./support/ManualClock.js";

/**
 * The awareness relay is leading-edge (collaboration.md §2.3):
 * an idle room relays a change with no delay, a burst within one window goes out as one frame when it closes.
 */

const WINDOW = DEFAULT_LIMITS.awarenessCoalesceMs;

class Peer implements AwarenessPeer {
  readonly frames: Uint8Array[] = [];
  constructor(readonly user: AwarenessUser) {}
  send(frame: Uint8Array): void {
    this.frames.push(frame);
  }
  /** The cursor x of every client, per frame received. */
  cursors(): number[][] {
    return this.frames.map((f) => {
      const m = decodeFrame(f);
      if (m.type !== "awareness") throw new Error(`expected an awareness frame, got ${m.type}`);
      return decodeAwarenessUpdate(m.update).map(
        (e) => (e.state as { cursor?: { x: number } } | null)?.cursor?.x ?? -1,
      );
    });
  }
}

function setup() {
  const clock = new ManualClock();
  const alice = new Peer({ id: "u-alice", name: "alice", color: "#000", role: "annotator" });
  const bob = new Peer({ id: "u-bob", name: "bob", color: "#111", role: "annotator" });
  const relay = new AwarenessRelay(new Y.Doc(), clock, { ...DEFAULT_LIMITS, awarenessPerSecond: 1000 }, () => [
    alice,
    bob,
  ]);
  const aliceDoc = new Y.Doc();
  const aliceAwareness = new Awareness(aliceDoc);
  const move = (x: number) => {
    aliceAwareness.setLocalStateField("cursor", { x, y: 0 });
    expect(relay.apply(alice, encodeAwarenessUpdate(aliceAwareness, [aliceAwareness.clientID]))).toBe("applied");
  };
  return { clock, relay, alice, bob, move };
}

describe("awareness relay: leading edge", () => {
  it("relays a change in an idle room at once, before any timer fires", () => {
    const { relay, alice, bob, move } = setup();
    move(1);
    expect(bob.cursors()).toEqual([[1]]);
    expect(alice.cursors()).toEqual([[1]]); // the echo keeps a stock client's liveness timer alive
    relay.destroy();
  });

  it("coalesces a burst within one window into one frame carrying the latest state", async () => {
    const { clock, relay, bob, move } = setup();
    move(1); // leading edge: sent at once
    const step = Math.floor(WINDOW / 3);
    await clock.advance(step);
    move(2);
    await clock.advance(step);
    move(3);
    expect(bob.cursors()).toEqual([[1]]);
    await clock.advance(WINDOW - 2 * step - 1);
    expect(bob.cursors()).toEqual([[1]]); // still inside the window that started with the first send
    await clock.advance(1);
    expect(bob.cursors()).toEqual([[1], [3]]); // the window closed: one frame, the latest state only
    relay.destroy();
  });

  it("sends at once again once a whole window passed without a send", async () => {
    const { clock, relay, bob, move } = setup();
    move(1);
    await clock.advance(WINDOW);
    move(2);
    expect(bob.cursors()).toEqual([[1], [2]]);
    expect(clock.pending).toBe(0); // no timer was needed
    relay.destroy();
  });
});

describe("awareness relay: a crowded room's window", () => {
  it("widens with the room's connections (awarenessSendsPerSecond), so a crowded room sends fewer frames", async () => {
    const clock = new ManualClock();
    const user = (i: number): AwarenessUser => ({ id: `u${i}`, name: `p${i}`, color: "#000", role: "annotator" });
    const peers = Array.from({ length: 100 }, (_, i) => new Peer(user(i)));
    const limits = {
      ...DEFAULT_LIMITS,
      awarenessPerSecond: 1000,
      awarenessCoalesceMs: 5,
      awarenessSendsPerSecond: 10_000,
    };
    const relay = new AwarenessRelay(new Y.Doc(), clock, limits, () => peers);
    const a = new Awareness(new Y.Doc());
    const move = (x: number) => {
      a.setLocalStateField("cursor", { x, y: 0 });
      expect(relay.apply(peers[0]!, encodeAwarenessUpdate(a, [a.clientID]))).toBe("applied");
    };
    const watcher = peers[1]!;
    move(1); // idle room: at once, to 100 connections → the next window is 1000 × 100 / 10,000 = 10 ms
    expect(watcher.cursors()).toEqual([[1]]);
    await clock.advance(6);
    move(2); // past the 5 ms base, inside the crowded room's 10 ms
    expect(watcher.cursors()).toEqual([[1]]);
    await clock.advance(4);
    expect(watcher.cursors()).toEqual([[1], [2]]);
    relay.destroy();
  });

  it("stays at awarenessCoalesceMs in a small room", async () => {
    const { clock, relay, bob, move } = setup();
    move(1);
    await clock.advance(DEFAULT_LIMITS.awarenessCoalesceMs);
    move(2);
    expect(bob.cursors()).toEqual([[1], [2]]);
    relay.destroy();
  });
});

describe("awareness relay: echoes of stock y-websocket clients", () => {
  it("takes a frame that echoes the whole room's states (more than 8 entries) without a claim, a close or a rate cost", () => {
    const clock = new ManualClock();
    const user = (i: number): AwarenessUser => ({ id: "guest", name: `p${i}`, color: "#000", role: "annotator" });
    const peers = Array.from({ length: 12 }, (_, i) => new Peer(user(i)));
    const relay = new AwarenessRelay(new Y.Doc(), clock, DEFAULT_LIMITS, () => peers);
    const awarenesses = peers.map(() => new Awareness(new Y.Doc()));
    // Everyone (the same user, as guests of a single-user server are) announces a cursor.
    peers.forEach((peer, i) => {
      const a = awarenesses[i]!;
      a.setLocalStateField("cursor", { x: i, y: 0 });
      expect(relay.apply(peer, encodeAwarenessUpdate(a, [a.clientID]))).toBe("applied");
    });
    // A stock y-websocket client re-sends every state it received: 12 entries, 11 of them other connections' ids.
    const echoer = peers[0]!;
    const room = [...relay.awareness.getStates().keys()];
    expect(room).toHaveLength(12);
    for (let i = 0; i < 40; i++)
      expect(relay.apply(echoer, encodeAwarenessUpdate(relay.awareness, room))).toBe("applied");
    // Its own next change still goes through (the echoes used none of its rate), and nobody's state was taken over.
    awarenesses[0]!.setLocalStateField("cursor", { x: 99, y: 0 });
    expect(relay.apply(echoer, encodeAwarenessUpdate(awarenesses[0]!, [awarenesses[0]!.clientID]))).toBe("applied");
    const xs = awarenesses.map(
      (a) => (relay.awareness.getStates().get(a.clientID) as { cursor: { x: number } }).cursor.x,
    );
    expect(xs).toEqual([99, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    relay.destroy();
  });

  it("still refuses a frame with far more entries than the room has (counted before decoding)", () => {
    const clock = new ManualClock();
    const peer = new Peer({ id: "u", name: "u", color: "#000", role: "viewer" });
    const relay = new AwarenessRelay(new Y.Doc(), clock, DEFAULT_LIMITS, () => [peer]);
    const many = Array.from({ length: 40 }, () => new Awareness(new Y.Doc()));
    const host = many[0]!;
    for (const a of many) {
      a.setLocalStateField("cursor", { x: 1, y: 1 });
      if (a !== host) applyAwarenessUpdate(host, encodeAwarenessUpdate(a, [a.clientID]), "test");
    }
    expect(relay.apply(peer, encodeAwarenessUpdate(host, [...host.getStates().keys()]))).toBe("too_many_entries");
    relay.destroy();
  });
});
