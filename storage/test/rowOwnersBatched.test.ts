import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DatasetHandle } from "@tessera/dataset";
import type { ComponentTable } from "@tessera/shared-crdt";
import { rowOwners, rowOwnersBatched } from "../src/index.js";
import { stateWorld, type StateWorld } from "./fixture.js";

/** The real dataset handle, counting `getMany` calls (every call goes through). */
function countingGetMany(dataset: DatasetHandle): { handle: DatasetHandle; calls: () => number } {
  let calls = 0;
  const handle = new Proxy(dataset, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        if (prop === "getMany") calls++;
        return fn.apply(target, args);
      };
    },
  });
  return { handle, calls: () => calls };
}

describe("owner lookups of many rooms at once (SPEC D-OWNER)", () => {
  let w: StateWorld;
  beforeEach(async () => {
    w = await stateWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it("200 rooms checking their new rows at once share a few queries per table, each told only its own ids' owners", async () => {
    const counted = countingGetMany(w.dataset);
    // Room i adds entity `new-i`; every 10th also reuses an id another record owns (e1/e2 of r1, e9 of r2).
    const asks = Array.from({ length: 200 }, (_, i) =>
      i % 10 === 0 ? [`new-${i}`, ["e1", "e2", "e9"][i % 3]!] : [`new-${i}`],
    );
    const answers = await Promise.all(asks.map((ids) => rowOwnersBatched(counted.handle, "entities", ids)));
    expect(counted.calls()).toBeLessThanOrEqual(3);
    for (const [i, ids] of asks.entries()) {
      const plain = await rowOwners(w.dataset, "entities", ids);
      expect(new Map(answers[i]), `room ${i}`).toEqual(plain);
    }
    expect(answers[0]?.get("e1")).toBe("r1");
    expect(answers[10]?.get("e2")).toBe("r1");
    expect(answers[20]?.get("e9")).toBe("r2");
    expect(answers[1]?.size).toBe(0);
  });

  it("run elsewhere (the persist worker's query), the lookups still gather, and the handle is never queried", async () => {
    const counted = countingGetMany(w.dataset);
    const sent: string[][] = [];
    // What the server does with a persist worker: each gathered lookup is one request to it.
    const query = async (table: ComponentTable, ids: readonly string[]) => {
      sent.push([...ids]);
      return rowOwners(w.dataset, table, ids);
    };
    const asks = Array.from({ length: 50 }, (_, i) => (i === 7 ? ["e1", `n${i}`] : [`n${i}`]));
    const answers = await Promise.all(asks.map((ids) => rowOwnersBatched(counted.handle, "entities", ids, query)));
    expect(counted.calls()).toBe(0);
    expect(sent.length).toBeLessThanOrEqual(2);
    expect(sent.flat().sort()).toEqual(asks.flat().sort());
    expect(answers[7]).toEqual(new Map([["e1", "r1"]]));
    expect(answers.filter((a) => a.size > 0)).toHaveLength(1);
  });

  it("a lookup alone is one query, and a failed query fails each lookup it held", async () => {
    const counted = countingGetMany(w.dataset);
    expect(await rowOwnersBatched(counted.handle, "bboxes", ["b1", "zz"])).toEqual(new Map([["b1", "r1"]]));
    expect(counted.calls()).toBe(1);
    const failing = new Proxy(w.dataset, {
      get(target, prop, receiver) {
        if (prop === "getMany") return () => Promise.reject(new Error("table unreadable"));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const both = [rowOwnersBatched(failing, "entities", ["a"]), rowOwnersBatched(failing, "entities", ["b"])];
    for (const p of both) await expect(p).rejects.toThrow("table unreadable");
  });
});
