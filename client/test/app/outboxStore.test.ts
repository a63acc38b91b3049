import { describe, expect, it } from "vitest";
import { MemoryOutboxStore, parseEntry, type OutboxEntry } from "../../src/sync/outboxStore.js";

const entry = (id: string, record: string, at: number, user = "alice"): OutboxEntry => ({
  id,
  user,
  dataset: "ds",
  record,
  update: Uint8Array.of(1, 2, 3),
  at,
});

describe("outbox rows read back from IndexedDB", () => {
  it("keeps a well-formed row", () => {
    const e = entry("a", "r1", 5);
    expect(parseEntry({ ...e })).toEqual(e);
  });

  it("skips anything that is not an outbox entry (never sent to the server)", () => {
    expect(parseEntry(null)).toBeNull();
    expect(parseEntry("x")).toBeNull();
    expect(parseEntry({ ...entry("a", "r1", 5), update: [1, 2, 3] })).toBeNull();
    expect(parseEntry({ ...entry("a", "r1", 5), update: new Uint8Array(0) })).toBeNull();
    expect(parseEntry({ ...entry("a", "r1", 5), id: 7 })).toBeNull();
    expect(parseEntry({ ...entry("a", "r1", 5), at: "now" })).toBeNull();
  });
});

describe("MemoryOutboxStore (the fallback without IndexedDB)", () => {
  it("lists a record's entries oldest first, per user, and forgets removed ones", async () => {
    const s = new MemoryOutboxStore();
    await s.put(entry("b", "r1", 2));
    await s.put(entry("a", "r1", 1));
    await s.put(entry("c", "r2", 3));
    await s.put(entry("d", "r1", 4, "bob"));
    expect((await s.list({ user: "alice", dataset: "ds", record: "r1" })).map((e) => e.id)).toEqual(["a", "b"]);
    expect((await s.listUser("alice")).map((e) => e.id)).toEqual(["a", "b", "c"]);
    await s.remove(["a", "c"]);
    expect((await s.listUser("alice")).map((e) => e.id)).toEqual(["b"]);
    expect((await s.listUser("bob")).map((e) => e.id)).toEqual(["d"]);
  });
});
