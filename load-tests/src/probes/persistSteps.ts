import { Library } from "@tessera/dataset";
import { readRecordRows } from "@tessera/dataset/state";
import { createCollabDataset } from "../gen/collabDataset.js";
const t = () => performance.now();
const N = Number(process.argv[2] ?? 1000);
const data = await createCollabDataset({ label: "probe", records: Array.from({ length: N }, (_, i) => ({ id: `room${String(i).padStart(5, "0")}`, boxes: 50 })) });
const lib = new Library(data.dataDir);
const ds = await lib.open("bench");
const times: Record<string, number[]> = {};
const rec = (k: string, ms: number) => (times[k] ??= []).push(ms);
for (let i = 0; i < 30; i++) {
  const id = `room${String(i * 7).padStart(5, "0")}`;
  let t0 = t(); const rows = await readRecordRows(ds, id); rec("readRecordRows", t() - t0);
  t0 = t(); await ds.upsert("entities", [{ id: `${id}-new${i}`, record_id: id, category: "car" }]); rec("upsert entities (1 row)", t() - t0);
  t0 = t(); await ds.upsert("bboxes", [{ id: `${id}-newb${i}`, record_id: id, entity_id: `${id}-new${i}`, coords: [0.1, 0.1, 0.1, 0.1], format: "xywh", is_normalized: true, confidence: 1 }]); rec("upsert bboxes (1 row)", t() - t0);
  t0 = t(); await ds.upsert("records", [{ ...rows.record }]); rec("upsert records (1 row)", t() - t0);
  t0 = t(); await readRecordRows(ds, id); rec("readRecordRows (verify)", t() - t0);
}
for (const [k, v] of Object.entries(times)) { v.sort((a, b) => a - b); console.log(k.padEnd(28), "p50", v[Math.floor(v.length / 2)]!.toFixed(1), "ms  max", v[v.length - 1]!.toFixed(1)); }
console.log("cpu", process.cpuUsage());
await lib.close(); await data.cleanup();
