import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Y from "yjs";
import { applyRowsToDoc, clientOrigin, rowsOfDoc, transact } from "@tessera/shared-crdt";
import { Library, type Dataset } from "@tessera/dataset";
import { FileRecordLog, FileSnapshotStore, loadRecordDoc, persistRecord, readRecordRows } from "../src/index.js";
import { RandomSource } from "../../shared-crdt/test/support/RandomSource.js";
import { fullInfo, fullSchema } from "../../shared-crdt/test/support/schema.js";
import { TestNetwork } from "../../shared-crdt/test/support/TestNetwork.js";
import { contextFor, randomOp } from "../../shared-crdt/test/support/ops.js";

/**
 * SPEC D-CONVERGE, last clause, through real storage: what the convergence fuzzer ends with is
 * logged, folded by the persist step into LanceDB rows and a snapshot, and reloading gives the
 * same rows — for every component table the fuzzer touches (entities, boxes, polygons, keypoints,
 * tracklets, states, questions and answers).
 */
const SEEDS = Number(process.env.FUZZ_PERSIST_SEEDS ?? 4);
const info = fullInfo("fuzz_ds");

let dir: string;
let library: Library;
let dataset: Dataset;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-fuzz-persist-"));
  library = new Library(dir);
  dataset = await library.create("fuzz_ds", info);
  await dataset.add(
    "records",
    Array.from({ length: SEEDS }, (_, i) => ({ id: `rec${i + 1}`, status: "inProgress" })),
  );
});

afterAll(async () => {
  await library.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("fuzzed documents survive persist → reload (SPEC D-CONVERGE)", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`seed ${seed}`, async () => {
      const recordId = `rec${seed}`;
      const rng = new RandomSource(seed);
      const schema = fullSchema();
      const net = new TestNetwork(schema, recordId, 3, {
        record: { id: recordId, split: "default", status: "inProgress", comment: "" },
        tables: {},
      });
      for (let step = 0; step < 150; step++) {
        randomOp(contextFor(net.clients[rng.int(3)] as Y.Doc, schema, recordId, rng), rng);
        for (let k = rng.int(4); k > 0; k--) net.flushRandom(rng);
      }
      net.flushAll(rng);
      const fuzzed = rowsOfDoc(net.server);
      expect(Object.values(fuzzed.tables).flat().length).toBeGreaterThan(10);

      // The record room's path: load (snapshot from rows), edit, log every update, persist.
      const log = new FileRecordLog({ dataDir: dir });
      const snapshots = new FileSnapshotStore({ dataDir: dir });
      const key = { datasetId: "fuzz_ds", recordId };
      const clock = { now: () => Date.now() };
      const { doc } = await loadRecordDoc({ dataset, log, snapshots, key, clock });
      const appends: Array<Promise<number>> = [];
      doc.on("update", (u: Uint8Array) => appends.push(log.append(key, u)));
      transact(doc, clientOrigin("fuzz"), () => applyRowsToDoc(doc, fuzzed));
      await Promise.all(appends);
      await persistRecord({ dataset, log, snapshots, key, clock });

      const stored = await readRecordRows(dataset, recordId);
      expect(stored.tables).toEqual(fuzzed.tables);
      const reloaded = await loadRecordDoc({ dataset, log, snapshots, key, clock });
      expect(rowsOfDoc(reloaded.doc).tables).toEqual(fuzzed.tables);
      expect(reloaded.externalChanges).toBe(false);
      await log.close();
    });
  }
});
