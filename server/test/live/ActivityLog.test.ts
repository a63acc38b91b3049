import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LiveUser } from "@tessera/shared-crdt";
import { ActivityLog, type ActivityClock } from "../../src/live/ActivityLog.js";

/** A clock the test advances by hand; timers fire in order when their time comes. */
class ManualClock implements ActivityClock {
  private t = Date.parse("2026-03-01T10:00:00Z");
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): Date {
    return new Date(this.t);
  }
  setTimeout(fn: () => void, ms: number) {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.live && x.at <= this.t).sort((a, b) => a.at - b.at)) {
      timer.live = false;
      timer.fn();
    }
  }
}

const alice: LiveUser = { id: "u-alice", name: "Alice", color: "#e6194b", role: "annotator" };
const bob: LiveUser = { id: "u-bob", name: "Bob", color: "#3cb44b", role: "reviewer" };
const dirs: string[] = [];
async function tmp() {
  const d = await mkdtemp(path.join(os.tmpdir(), "tessera-activity-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("activity feed (SPEC L-ACTIVITY)", () => {
  it("coalesces a person's edits of one record into one batch closed after idle time", async () => {
    const clock = new ManualClock();
    const log = new ActivityLog(await tmp(), { idleMs: 5000, maxMs: 60_000, clock });
    log.recordEdit("ds", "r1", alice, { bboxes: { added: 1, updated: 0, removed: 0 } });
    clock.advance(3000);
    log.recordEdit("ds", "r1", alice, {
      bboxes: { added: 0, updated: 2, removed: 0 },
      entities: { added: 1, updated: 0, removed: 0 },
    });
    log.recordEdit("ds", "r1", bob, { masks: { added: 1, updated: 0, removed: 0 } });
    expect(await log.list("ds")).toEqual([]);
    clock.advance(5000);
    const entries = await log.list("ds");
    expect(entries.map((e) => [e.user.name, e.tables])).toEqual([
      ["Bob", { masks: { added: 1, updated: 0, removed: 0 } }],
      ["Alice", { bboxes: { added: 1, updated: 2, removed: 0 }, entities: { added: 1, updated: 0, removed: 0 } }],
    ]);
    await log.flush();
  });

  it("closes a long batch after maxMs even while edits continue", async () => {
    const clock = new ManualClock();
    const log = new ActivityLog(await tmp(), { idleMs: 5000, maxMs: 12_000, clock });
    for (let i = 0; i < 10; i++) {
      log.recordEdit("ds", "r1", alice, { bboxes: { added: 0, updated: 1, removed: 0 } });
      clock.advance(2000);
    }
    clock.advance(5000);
    const counts = (await log.list("ds")).map((e) => e.tables?.bboxes?.updated);
    expect(counts.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(10);
    expect(counts.length).toBeGreaterThanOrEqual(2);
    await log.flush();
  });

  it("a status transition closes the open batch first and is stored on disk, readable after restart", async () => {
    const clock = new ManualClock();
    const dir = await tmp();
    const log = new ActivityLog(dir, { clock });
    log.recordEdit("ds", "r1", alice, { bboxes: { added: 1, updated: 0, removed: 0 } });
    log.recordStatus("ds", "r1", alice, { from: "inProgress", to: "inReview", action: "submit", comment: "" });
    log.recordEdit("ds", "r2", alice, { bboxes: { added: 1, updated: 0, removed: 0 } });
    await log.flush();
    const text = await readFile(path.join(dir, `${Buffer.from("ds").toString("base64url")}.jsonl`), "utf8");
    expect(
      text
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { kind: string }).kind),
    ).toEqual(["edit", "status", "edit"]);
    const reopened = new ActivityLog(dir, { clock });
    const r1 = await reopened.list("ds", { recordId: "r1" });
    expect(r1.map((e) => e.kind)).toEqual(["status", "edit"]);
    expect(r1[0]?.status).toEqual({ from: "inProgress", to: "inReview", action: "submit", comment: "" });
  });
});
