import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { customCell, readRow } from "@tessera/shared-crdt";
import type { DatasetHandle } from "@tessera/dataset";
import { loadRecordDoc } from "../src/index.js";
import { stateWorld, type StateWorld } from "./fixture.js";

/** The real dataset handle, counting the queries that read rows (every call goes through). */
function countingQueries(dataset: DatasetHandle): { handle: DatasetHandle; queries: () => number } {
  let queries = 0;
  const handle = new Proxy(dataset, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        if (prop === "query" || prop === "get" || prop === "getMany") queries++;
        return fn.apply(target, args);
      };
    },
  });
  return { handle, queries: () => queries };
}

const N = 40;

describe("first loads of many records at once read their rows together", () => {
  let w: StateWorld;
  beforeEach(async () => {
    w = await stateWorld();
    const ids = Array.from({ length: N }, (_, i) => `m${i}`);
    await w.dataset.addRecords({
      records: ids.map((id) => ({ id, split: "train" })),
      images: ids.map((id) => ({
        id: `img-${id}`,
        record_id: id,
        logical_name: "image",
        uri: `${id}.png`,
        width: 10,
        height: 10,
        format: "PNG",
      })),
      entities: ids.map((id, i) => ({ id: `ent-${id}`, record_id: id, category: `c${i}` })),
    });
  });
  afterEach(async () => {
    await w.close();
  });

  it(`${N} records opened at once: far fewer LanceDB queries than one set per record, each document right`, async () => {
    const counted = countingQueries(w.dataset);
    const tables = (await w.dataset.tables()).length; // records + component tables present
    const loads = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        loadRecordDoc({
          dataset: counted.handle,
          log: w.log,
          snapshots: w.snapshots,
          key: { datasetId: "state_ds", recordId: `m${i}` },
          clock: w.clock,
        }),
      ),
    );
    console.log(`${N} first loads: ${counted.queries()} row queries (one record at a time: ≈ ${N * tables})`);
    expect(counted.queries()).toBeLessThan((N * tables) / 4);
    loads.forEach((l, i) => {
      expect(l.created).toBe(true);
      expect(customCell(readRow(l.doc, "entities", `ent-m${i}`), "category")).toBe(`c${i}`);
    });
  });

  it("a missing record among them fails alone (record_not_found), the others load", async () => {
    const keys = ["m1", "nope", "m2"].map((recordId) => ({ datasetId: "state_ds", recordId }));
    const results = await Promise.allSettled(
      keys.map((key) => loadRecordDoc({ dataset: w.dataset, log: w.log, snapshots: w.snapshots, key, clock: w.clock })),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const failed = results[1] as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ name: "RecordStateError", reason: "record_not_found" });
  });
});
