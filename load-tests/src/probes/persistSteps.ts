import { Library } from "@tessera/dataset";
import { readRecordRows } from "@tessera/storage";
import { createCollabDataset } from "../gen/collabDataset.js";

/**
 * The persist worker's LanceDB steps for one record, timed in-process on a dataset shaped like
 * the `rooms` scenario's (N records × 50 entities with a box): read the record's rows, upsert one
 * entity, one box and the record row, read back — repeated, one record after another as the
 * worker does, with p50 per block of iterations to show how the cost moves as versions pile up.
 * With `optimizeEvery` > 0, `dataset.optimize()` (indexes + compaction) runs every that many
 * iterations, and its time is reported.
 * Usage: `cd load-tests && npx tsx src/probes/persistSteps.ts [records=1000] [iterations=300] [block=50] [optimizeEvery=0]`.
 */
const [records = 1000, iterations = 300, block = 50, optimizeEvery = 0] = process.argv.slice(2).map(Number);
const now = () => performance.now();
const data = await createCollabDataset({
  label: "probe",
  records: Array.from({ length: records }, (_, i) => ({ id: `room${String(i).padStart(5, "0")}`, boxes: 50 })),
});
const lib = new Library(data.dataDir);
try {
  const ds = await lib.open("bench");
  let times: Record<string, number[]> = {};
  const rec = (k: string, ms: number) => (times[k] ??= []).push(ms);
  for (let i = 0; i < iterations; i++) {
    const id = `room${String((i * 7) % records).padStart(5, "0")}`;
    const t = now();
    let t0 = now();
    const rows = await readRecordRows(ds, id);
    rec("read rows", now() - t0);
    t0 = now();
    await ds.upsert("entities", [{ id: `${id}-new${i}`, record_id: id, category: "car" }]);
    rec("upsert entity", now() - t0);
    t0 = now();
    await ds.upsert("bboxes", [
      {
        id: `${id}-newb${i}`,
        record_id: id,
        entity_id: `${id}-new${i}`,
        coords: [0.1, 0.1, 0.1, 0.1],
        format: "xywh",
        is_normalized: true,
        confidence: 1,
      },
    ]);
    rec("upsert box", now() - t0);
    t0 = now();
    await ds.upsert("records", [{ ...rows.record }]);
    rec("upsert record", now() - t0);
    t0 = now();
    await readRecordRows(ds, id);
    rec("read back", now() - t0);
    rec("all", now() - t);
    if (optimizeEvery > 0 && (i + 1) % optimizeEvery === 0) {
      t0 = now();
      await ds.optimize();
      rec("optimize", now() - t0);
    }
    if ((i + 1) % block === 0) {
      const p50 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
      console.log(
        `iterations ${i + 2 - block}–${i + 1}: ${Object.entries(times)
          .map(([k, v]) => `${k} ${p50(v).toFixed(1)}`)
          .join(", ")} ms (p50)`,
      );
      times = {};
    }
  }
} finally {
  await lib.close();
  await data.cleanup();
}
