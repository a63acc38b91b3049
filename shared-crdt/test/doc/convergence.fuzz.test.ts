import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { applyRowsToDoc, checkDoc, readRecord, rowsOfDoc, serverOrigin, transact } from "../../src/index.js";
import { RandomSource } from "../support/RandomSource.js";
import { fullSchema } from "../support/schema.js";
import { TestNetwork } from "../support/TestNetwork.js";
import { contextFor, randomOp } from "../support/ops.js";

const SEEDS = Number(process.env.FUZZ_SEEDS ?? 40);
const STEPS = Number(process.env.FUZZ_STEPS ?? 120);
const FIRST_SEED = Number(process.env.FUZZ_FIRST_SEED ?? 1);

/** One fuzz run; returns the op log so a failure prints how to reproduce it. */
function run(seed: number) {
  const rng = new RandomSource(seed);
  const schema = fullSchema();
  const net = new TestNetwork(schema, "rec1", 2 + rng.int(3), { record: { id: "rec1", split: "train", status: "inProgress", comment: "" }, tables: {} });
  const log: string[] = [];
  for (let step = 0; step < STEPS; step++) {
    const i = rng.int(net.clients.length);
    const r = rng.next();
    if (r < 0.55) log.push(`c${i}:${randomOp(contextFor(net.clients[i] as Y.Doc, schema, "rec1", rng), rng)}`);
    else if (r < 0.6) {
      net.partition(i);
      log.push(`c${i}:partition`);
    } else if (r < 0.68) {
      net.heal(i);
      log.push(`c${i}:heal`);
    }
    for (let k = rng.int(4); k > 0; k--) net.flushRandom(rng);
  }
  net.healAll();
  net.flushAll(rng);
  return { net, log, schema };
}

describe("convergence over a simulated network with partitions (SPEC D-CONVERGE)", () => {
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    it(`seed ${seed}`, () => {
      const { net, log, schema } = run(seed);
      const context = `seed ${seed}; ops: ${log.join(" ")}`;
      const expected = rowsOfDoc(net.server);
      // all replicas equal
      for (const c of net.clients) expect(rowsOfDoc(c), context).toEqual(expected);
      // every row valid, no dangling references, status untouched by clients
      expect(checkDoc(net.server, schema, "rec1"), context).toEqual([]);
      expect(readRecord(net.server).status, context).toBe("inProgress");
      // a doc rebuilt from the merged updates equals the live one
      const rebuilt = new Y.Doc();
      Y.applyUpdate(rebuilt, Y.mergeUpdates(net.serverUpdates));
      expect(rowsOfDoc(rebuilt), context).toEqual(expected);
      // persisting as rows and loading them into a fresh doc gives the same rows
      const reloaded = new Y.Doc();
      transact(reloaded, serverOrigin("load"), () => applyRowsToDoc(reloaded, expected));
      expect(rowsOfDoc(reloaded), context).toEqual(expected);
    });
  }

  it("the fuzzer exercises the model (sanity)", () => {
    let entities = 0;
    let repairs = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const { net } = run(seed);
      entities += (rowsOfDoc(net.server).tables.entities ?? []).length;
      repairs += net.issues.length;
    }
    expect(entities).toBeGreaterThan(20);
    expect(repairs).toBeGreaterThan(5);
  });
});
