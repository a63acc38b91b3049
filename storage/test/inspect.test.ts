import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as Y from "yjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientOrigin, relabel, rowsOfDoc } from "@tessera/shared-crdt";
import { loadRecordDoc, pendingLogs, recordUpdateFromRows, RecordStateError } from "../src/index.js";
import { docContext, logUpdates, stateWorld, type StateWorld } from "./fixture.js";

/**
 * `@tessera/storage`'s read-only inspection, the public way for programs outside the server
 * process (load-tests) to see the on-disk state without the log engine's internals.
 */

/** Every file under `dir` with its size and modification time (what a read-only reader must leave as it was). */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const st = await fs.stat(full);
    out.push(`${path.relative(dir, full)} ${entry.isDirectory() ? "dir" : `${st.size} ${st.mtimeMs}`}`);
  }
  return out.sort();
}

describe("pendingLogs (read-only view of the record logs)", () => {
  let w: StateWorld;
  beforeEach(async () => {
    w = await stateWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it("pendingLogs lists the records whose log holds entries while the writer keeps it open, and writes nothing", async () => {
    const r2 = { datasetId: w.key.datasetId, recordId: "r2" };
    const { doc } = await loadRecordDoc({
      dataset: w.dataset,
      log: w.log,
      snapshots: w.snapshots,
      key: w.key,
      clock: w.clock,
    });
    const appends = logUpdates(doc, w.log, w.key);
    relabel(docContext(doc, w.dataset), clientOrigin("alice"), "e1", "truck");
    const [pos] = await appends.settled();
    await w.log.append(r2, Y.encodeStateAsUpdate(new Y.Doc()));

    const before = await tree(w.dataDir);
    const pending = await pendingLogs(w.dataDir, { onWarning: (m) => expect.fail(`unexpected warning: ${m}`) });
    expect(pending.map((k) => k.recordId).sort()).toEqual(["r1", "r2"]);
    expect(pending.every((k) => k.datasetId === w.key.datasetId)).toBe(true);
    expect(await tree(w.dataDir)).toEqual(before);

    // Folded (the persist worker trims after saving its snapshot): no longer pending.
    await w.log.trim(w.key, pos ?? 0);
    expect((await pendingLogs(w.dataDir)).map((k) => k.recordId)).toEqual(["r2"]);
    appends.stop();
    doc.destroy();
  });

  it("pendingLogs on a DATA_DIR Tessera never wrote to answers nothing and creates no .tessera folder", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-inspect-"));
    try {
      expect(await pendingLogs(dataDir)).toEqual([]);
      expect(await fs.readdir(dataDir)).toEqual([]);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("recordUpdateFromRows (a record's rows as one Yjs update)", () => {
  let w: StateWorld;
  beforeEach(async () => {
    w = await stateWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it("recordUpdateFromRows gives the document the server builds for a record without a snapshot", async () => {
    const update = await recordUpdateFromRows(w.dataset, w.key);
    const seeded = new Y.Doc();
    Y.applyUpdate(seeded, update);
    const loaded = await loadRecordDoc({
      dataset: w.dataset,
      log: w.log,
      snapshots: w.snapshots,
      key: w.key,
      clock: w.clock,
    });
    expect(loaded.created).toBe(true);
    expect(rowsOfDoc(seeded)).toEqual(rowsOfDoc(loaded.doc));
    expect(rowsOfDoc(seeded).tables.bboxes?.map((r) => r.id)).toEqual(["b1", "b2"]);
    // Read-only: the server's own first load above saved the only snapshot.
    expect(await w.snapshots.load({ datasetId: w.key.datasetId, recordId: "r2" })).toBeNull();
    seeded.destroy();
    loaded.doc.destroy();
  });

  it("recordUpdateFromRows of an unknown record throws record_not_found", async () => {
    const err = await recordUpdateFromRows(w.dataset, { datasetId: w.key.datasetId, recordId: "nope" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RecordStateError);
    expect((err as RecordStateError).reason).toBe("record_not_found");
  });
});
