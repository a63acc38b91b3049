import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { holdsLayoutOnly, recordMap, serverOrigin, transact } from "@tessera/shared-crdt";
import { FileSnapshotStore } from "../src/FileSnapshotStore.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tessera-layout-only-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function recordDoc(): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  transact(doc, serverOrigin("test"), () => recordMap(doc).set("status", "new"));
  return doc;
}

describe("snapshots say whether they hold only the record layout (served to joiners as they are)", () => {
  it("holdsLayoutOnly: true for layout content, false for a live root outside it, true again once it is deleted", () => {
    const doc = recordDoc();
    expect(holdsLayoutOnly(doc)).toBe(true);
    doc.getMap("junk").set("blob", "x");
    expect(holdsLayoutOnly(doc)).toBe(false);
    doc.getMap("junk").delete("blob");
    expect(holdsLayoutOnly(doc)).toBe(true);
    doc.destroy();
  });

  it("the flag is stored and read back; a snapshot without it reads as unknown", async () => {
    const store = new FileSnapshotStore({ dataDir: dir });
    const doc = recordDoc();
    const base = { state: Y.encodeStateAsUpdate(doc), foldedUpTo: 0, rowsDigest: "d", savedAt: "2026-01-01T00:00:00Z" };
    await store.save({ datasetId: "ds", recordId: "flagged" }, { ...base, layoutOnly: true });
    await store.save({ datasetId: "ds", recordId: "older" }, base);
    expect((await store.load({ datasetId: "ds", recordId: "flagged" }))?.layoutOnly).toBe(true);
    expect((await store.load({ datasetId: "ds", recordId: "older" }))?.layoutOnly).toBeUndefined();
    doc.destroy();
  });
});
