import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AssignStore } from "../../src/assign/AssignStore.js";
import { shareOut } from "../../src/assign/split.js";

/** The assignment store and the split on their own (SPEC AS1, AS3, AS6), over a real temp folder. */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tessera-assign-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lead = { id: "admin", name: "Admin" };
const alice = { id: "alice", name: "Alice" };
const bob = { id: "bob", name: "Bob" };

describe("assignment store", () => {
  it("AS3: split_evenly gives blocks differing by at most one; round_robin alternates; every record once", () => {
    const ids = Array.from({ length: 11 }, (_, i) => `r${i}`);
    const even = shareOut(ids, ["a", "b", "c"], "split_evenly");
    expect(even.map((s) => s.items.length)).toEqual([4, 4, 3]);
    expect(even.flatMap((s) => s.items)).toEqual(ids);
    const rr = shareOut(ids, ["a", "b"], "round_robin");
    expect(rr[0]?.items).toEqual(["r0", "r2", "r4", "r6", "r8", "r10"]);
    expect(rr[1]?.items).toEqual(["r1", "r3", "r5", "r7", "r9"]);
    expect(shareOut(ids, [], "split_evenly")).toEqual([]);
  });

  it("AS6: asking about the lock of datasets without assignments keeps nothing in memory (a sync upgrade names any)", async () => {
    const store = AssignStore.in(dir);
    for (let i = 0; i < 2000; i++)
      expect(await store.editRefusal(`no-such-dataset-${i}`, "r1", { id: "bob", role: "annotator" })).toBeNull();
    expect(store.datasetsInMemory).toBe(0);
    await store.assign("ds", [{ role: "annotator", to: alice, record_ids: ["r1"] }], lead);
    await store.setLock("ds", true, lead);
    expect(store.datasetsInMemory).toBe(1);
    // A fresh store (a restart) finds the lock on disk at the first question.
    const again = AssignStore.in(dir);
    expect(await again.editRefusal("ds", "r1", { id: "bob", role: "annotator" })).toContain("assigned to Alice");
    expect(await again.editRefusal("ds", "r1", { id: "alice", role: "annotator" })).toBeNull();
    expect(await again.editRefusal("ds", "r2", { id: "bob", role: "annotator" })).toBeNull();
    expect(await again.editRefusal("ds", "r1", { id: "rita", role: "reviewer" })).toBeNull();
  });

  it("AS1/AS2: one request is one fsynced append; reassigning the same person changes nothing; unassigning one side keeps the other", async () => {
    const store = AssignStore.in(dir);
    const changed = await store.assign(
      "ds",
      [
        { role: "annotator", to: alice, record_ids: ["r1", "r2"] },
        { role: "reviewer", to: bob, record_ids: ["r1", "r2"] },
      ],
      lead,
    );
    expect(changed).toBe(4);
    const file = path.join(dir, ".tessera", "assign", `${Buffer.from("ds").toString("base64url")}.jsonl`);
    expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(2);
    expect(await store.assign("ds", [{ role: "annotator", to: alice, record_ids: ["r1"] }], lead)).toBe(0);
    expect(await store.unassign("ds", ["r1"], "reviewer", lead)).toBe(1);
    const { items } = await store.list("ds");
    expect(items.map((a) => [a.record_id, a.annotator?.id ?? null, a.reviewer?.id ?? null])).toEqual([
      ["r1", "alice", null],
      ["r2", "alice", "bob"],
    ]);
    expect(await store.unassign("ds", ["r1"], null, lead)).toBe(1);
    expect((await AssignStore.in(dir).list("ds")).items.map((a) => a.record_id)).toEqual(["r2"]);
  });
});
