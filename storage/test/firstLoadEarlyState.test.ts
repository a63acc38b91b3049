import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { readRows } from "@tessera/shared-crdt";
import { loadRecordDoc, type RecordKey, type RecordSnapshot, type SnapshotStore } from "../src/index.js";
import { stateWorld, type StateWorld } from "./fixture.js";

let w: StateWorld;

beforeEach(async () => {
  w = await stateWorld();
});

afterEach(async () => {
  await w.close();
});

/** The world's snapshot store, with every save held until `open()` (or failed by `fail()`). */
function heldSaves(inner: SnapshotStore) {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const gate = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  gate.catch(() => undefined);
  const events: string[] = [];
  const store: SnapshotStore = {
    load: (key: RecordKey) => inner.load(key),
    delete: (key: RecordKey) => inner.delete(key),
    async save(key: RecordKey, snapshot: RecordSnapshot) {
      events.push("save started");
      await gate;
      await inner.save(key, snapshot);
      events.push("saved");
    },
  };
  return { store, events, open, fail };
}

describe("loadRecordDoc of a record with no snapshot: the state is told before the first snapshot is saved", () => {
  it("onFullState gets the built document's whole state while the save is still held; the load resolves only after it", async () => {
    const saves = heldSaves(w.snapshots);
    let told: Uint8Array | null = null;
    let resolved = false;
    const loading = loadRecordDoc({
      dataset: w.dataset,
      log: w.log,
      snapshots: saves.store,
      key: w.key,
      clock: w.clock,
      onFullState: (state) => {
        told = state;
        saves.events.push("told");
      },
    }).then((r) => {
      resolved = true;
      return r;
    });
    const deadline = Date.now() + 10_000;
    while (!saves.events.includes("save started")) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the save");
      await new Promise((r) => setImmediate(r));
    }
    expect(saves.events).toEqual(["told", "save started"]);
    expect(resolved).toBe(false);
    const early = new Y.Doc();
    Y.applyUpdate(early, told!);
    expect(
      readRows(early, "bboxes")
        .map((r) => r.id)
        .sort(),
    ).toEqual(["b1", "b2"]);
    saves.open();
    const loaded = await loading;
    expect(loaded.created).toBe(true);
    expect(saves.events).toEqual(["told", "save started", "saved"]);
    // What the joiners got is exactly the saved first snapshot, which every later log entry builds on.
    const saved = await w.snapshots.load(w.key);
    expect(Buffer.from(saved!.state).equals(Buffer.from(told!))).toBe(true);
    expect(saved!.layoutOnly).toBe(true);
    early.destroy();
    loaded.doc.destroy();
  });

  it("a failed first save fails the load (no document to edit), after the state was told", async () => {
    const saves = heldSaves(w.snapshots);
    let told = false;
    const loading = loadRecordDoc({
      dataset: w.dataset,
      log: w.log,
      snapshots: saves.store,
      key: w.key,
      clock: w.clock,
      onFullState: () => void (told = true),
    });
    saves.fail(new Error("EIO: disk trouble"));
    await expect(loading).rejects.toThrow(/EIO/);
    expect(told).toBe(true);
    expect(await w.snapshots.load(w.key)).toBeNull();
  });
});
