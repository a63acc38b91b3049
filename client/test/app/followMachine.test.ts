import { describe, expect, it } from "vitest";
import { followBanner, IDLE, transition, type FollowEvent, type FollowState } from "../../src/app/followMachine.js";

const alice = { id: "guest:alice", name: "Alice", color: "#e6194b" };
const viewport = { viewId: "v1", cx: 0.4, cy: 0.6, zoom: 2 };

function run(events: FollowEvent[], current: string | null = "r1"): { state: FollowState; effects: unknown[] } {
  let state: FollowState = IDLE;
  const effects: unknown[] = [];
  for (const e of events) {
    const r = transition(state, e, { currentRecordId: current });
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

describe("follow mode", () => {
  it("asks the live channel, then opens the leader's record", () => {
    const r = run([
      { type: "start", leader: alice },
      { type: "started", recordId: "r7" },
    ]);
    expect(r.state).toEqual({ mode: "following", leader: alice, recordId: "r7" });
    expect(r.effects).toEqual([
      { type: "setFollow", userId: "guest:alice" },
      { type: "navigate", recordId: "r7" },
    ]);
    expect(followBanner(r.state)).toBe("Following Alice — Esc to stop");
  });

  it("does not navigate when already on the leader's record", () => {
    const r = run([
      { type: "start", leader: alice },
      { type: "started", recordId: "r1" },
    ]);
    expect(r.effects).toEqual([{ type: "setFollow", userId: "guest:alice" }]);
  });

  it("follows the leader to another record", () => {
    const r = run([
      { type: "start", leader: alice },
      { type: "started", recordId: "r1" },
      { type: "moved", leaderId: "guest:alice", recordId: "r2" },
    ]);
    expect(r.effects.at(-1)).toEqual({ type: "navigate", recordId: "r2" });
    expect(r.state).toMatchObject({ mode: "following", recordId: "r2" });
  });

  it("ignores moves of someone else", () => {
    const r = run([
      { type: "start", leader: alice },
      { type: "started", recordId: "r1" },
      { type: "moved", leaderId: "guest:bob", recordId: "r2" },
    ]);
    expect(r.effects).toHaveLength(1);
  });

  it("mirrors the leader's viewport and selection on the shared record only", () => {
    const sel = [{ table: "bboxes" as const, id: "b1" }];
    const same = run([
      { type: "start", leader: alice },
      { type: "started", recordId: "r1" },
      { type: "leaderState", leaderId: "guest:alice", viewport, selection: sel },
    ]);
    expect(same.effects.slice(1)).toEqual([
      { type: "setViewport", viewport },
      { type: "select", refs: sel },
    ]);
    const elsewhere = run(
      [
        { type: "start", leader: alice },
        { type: "started", recordId: "r9" },
        { type: "leaderState", leaderId: "guest:alice", viewport },
      ],
      "r1",
    );
    expect(elsewhere.effects.filter((e) => (e as { type: string }).type === "setViewport")).toEqual([]);
  });

  it("stops on Esc, on the user's own pan/zoom and on the user's own navigation", () => {
    for (const stopper of [{ type: "escape" }, { type: "userViewport" }, { type: "userNavigated" }] as const) {
      const r = run([{ type: "start", leader: alice }, { type: "started", recordId: "r1" }, stopper]);
      expect(r.state).toEqual(IDLE);
      expect(r.effects.at(-1)).toEqual({ type: "setFollow", userId: null });
      expect(followBanner(r.state)).toBeNull();
    }
  });

  it("lets Esc through when not following", () => {
    expect(transition(IDLE, { type: "escape" }, { currentRecordId: null }).handled).toBe(false);
    expect(transition(IDLE, { type: "userViewport" }, { currentRecordId: null }).effects).toEqual([]);
  });

  it("ends with a toast when the leader leaves, and reports a refused follow", () => {
    const ended = run([
      { type: "start", leader: alice },
      { type: "started", recordId: "r1" },
      { type: "ended", leaderId: "guest:alice" },
    ]);
    expect(ended.state).toEqual(IDLE);
    expect(ended.effects.at(-1)).toEqual({ type: "toast", text: "Alice left — following stopped" });
    const failed = run([
      { type: "start", leader: alice },
      { type: "failed", error: "not connected" },
    ]);
    expect(failed.state).toEqual(IDLE);
    expect(failed.effects.at(-1)).toEqual({ type: "toast", text: "Cannot follow Alice: not connected" });
  });
});
