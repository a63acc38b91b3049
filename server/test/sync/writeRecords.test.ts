import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Y from "yjs";
import { Library, type DatasetHandle } from "@tessera/dataset";
import { readRows, restOrigin, writeRowCells } from "@tessera/shared-crdt";
import { RoomEditError, RoomError } from "../../src/sync/index.js";
import { writeRecords } from "../../src/sync/writeRecords.js";
import { DEFAULT_LIMITS } from "../../src/sync/limits.js";
import { ManualClock } from "./support/ManualClock.js";
import { buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import { docOf, roomEvent, startSyncServer, type TestServer } from "./support/harness.js";

/**
 * `writeRecords` (SPEC INF-PREANN, a job's writes over a batch of records): the batch's rooms load
 * together, each record is written in its own transaction, in order, paced by `beforeEach`.
 */

let data: SyncTestData;
let server: TestServer;
const clock = new ManualClock();
/** LanceDB reads of the dataset's handle, by table (the real handle, counted). */
const reads = new Map<string, number>();

beforeAll(async () => {
  data = await buildSyncDataDir();
  const library = new Library(data.dataDir);
  let counted: DatasetHandle | null = null;
  const count = (table: unknown) => reads.set(String(table), (reads.get(String(table)) ?? 0) + 1);
  const open = async (id: string): Promise<DatasetHandle | null> => {
    const handle = await library.open(id);
    if (!handle) return null;
    // One wrapper per handle: the loads' batching is keyed by the handle.
    counted ??= new Proxy(handle, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if ((prop === "rows" || prop === "query" || prop === "getMany" || prop === "get") && typeof v === "function")
          return (table: unknown, ...rest: unknown[]) => {
            count(table);
            return (v as (...a: unknown[]) => unknown).call(target, table, ...rest);
          };
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return counted;
  };
  server = await startSyncServer(data.dataDir, { clock, library: { open } });
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

const origin = restOrigin("u-model");

/** A write adding one box with id `id` to `recordId`'s entity. */
function box(recordId: string, id: string): { recordId: string; fn: (doc: Y.Doc) => void } {
  return {
    recordId,
    fn: (doc) =>
      writeRowCells(doc, "bboxes", {
        id,
        record_id: recordId,
        entity_id: `ent-${recordId}`,
        view_id: `img-${recordId}`,
        coords: [0.1, 0.1, 0.2, 0.2],
        format: "xywh",
        is_normalized: true,
      }),
  };
}

async function loggedBoxes(recordId: string): Promise<string[]> {
  const key = { datasetId: DS, recordId };
  const snap = await server.snapshots.load(key);
  const tail = await server.log.read(key);
  return readRows(docOf([...(snap ? [snap.state] : []), ...tail.map((e) => e.update)]), "bboxes").map((r) => r.id);
}

describe("writeRecords: a job's writes over a batch of records", () => {
  it("loads the batch's records together (one row query per table, not one per record) and writes each, in order, durably", async () => {
    const ids = ["r0", "r1", "r2", "r3", "r4", "r5"];
    reads.clear();
    const order: string[] = [];
    const n = await writeRecords(
      server.sync.rooms,
      DS,
      ids.map((id) => box(id, `box-${id}`)),
      origin,
      {
        beforeEach: (id) => {
          order.push(id);
          return Promise.resolve(true);
        },
      },
    );
    expect(n).toBe(6);
    expect(order).toEqual(ids);
    // Every write is in its record's log before the call resolved.
    for (const id of ids) expect(await loggedBoxes(id)).toContain(`box-${id}`);
    // The first load reads alone, the five others share one query per table: ≤ 2 reads of the
    // entities table for six records (one each would be 6).
    expect(reads.get("entities") ?? 0).toBeGreaterThan(0);
    expect(reads.get("entities") ?? 0).toBeLessThanOrEqual(2);
    const edits = server.events.filter((e) => e.name === "edit" && ids.includes(e.payload.recordId));
    expect(edits.map((e) => e.payload.recordId)).toEqual(ids);
    // Nothing holds the rooms any more: they unload once idle.
    await clock.advance(DEFAULT_LIMITS.idleUnloadMs);
    for (const id of ids) await roomEvent(server, "unloaded", (e) => e.recordId === id);
  });

  it("beforeEach resolving false writes no more of the batch", async () => {
    const n = await writeRecords(server.sync.rooms, DS, [box("r6", "b6"), box("r7", "b7"), box("r8", "b8")], origin, {
      beforeEach: (id) => Promise.resolve(id !== "r7"),
    });
    expect(n).toBe(1);
    expect(await loggedBoxes("r6")).toContain("b6");
    expect(await loggedBoxes("r7")).not.toContain("b7");
    expect(await loggedBoxes("r8")).not.toContain("b8");
  });

  it("a refused edit stops the batch: the records written before it stay written, the error is thrown", async () => {
    const bad = {
      recordId: "r10",
      fn: (doc: Y.Doc) =>
        writeRowCells(doc, "bboxes", { id: "bad", record_id: "r10", entity_id: "ghost", coords: [0, 0, 0, 0, 0] }),
    };
    const err = await writeRecords(server.sync.rooms, DS, [box("r9", "b9"), bad, box("r11", "b11")], origin).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RoomEditError);
    expect(await loggedBoxes("r9")).toContain("b9");
    expect(await loggedBoxes("r10")).not.toContain("bad");
    expect(await loggedBoxes("r11")).not.toContain("b11");
  });

  it("a record that does not exist: the records before it are written, then RoomError not_found", async () => {
    const err = await writeRecords(server.sync.rooms, DS, [box("r9", "b9-2"), box("ghost-record", "g")], origin).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RoomError);
    expect((err as RoomError).reason).toBe("not_found");
    expect(await loggedBoxes("r9")).toContain("b9-2");
  });
});
