import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  parseDatasetInfo,
  recordMap,
  serverOrigin,
  transact,
  withCustom,
} from "@tessera/shared-crdt";
import { createCollabDataset } from "../gen/collabDataset.js";
import { nowMs } from "../clock.js";

/**
 * What merging a first edit with its W1 costs (`npx tsx src/probes/firstEditMerge.ts [boxes] [n]`):
 * the rooms bench's burst edit (a new entity with its box, on a record of `boxes` boxes) and the
 * server's status transaction, merged with `Y.mergeUpdates` as a room's batch did before it
 * appended them one by one. CPU per merge, in µs, on this thread.
 */
const boxes = Number(process.argv[2] ?? 50);
const n = Number(process.argv[3] ?? 2000);
const data = await createCollabDataset({ label: "merge", records: [{ id: "room00000", boxes }] });
try {
  const schema = datasetSchemaOf(parseDatasetInfo(data.info));
  const server = new Y.Doc();
  Y.applyUpdate(server, await data.recordUpdate("room00000"));
  const pairs: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < n; i++) {
    const client = new Y.Doc();
    let edit: Uint8Array | null = null;
    client.on("update", (u: Uint8Array) => (edit = u));
    let k = 0;
    createEntity(
      { doc: client, schema, recordId: "room00000", newId: () => `p${i}n${++k}` },
      clientOrigin(`probe-${i}`),
      {
        entity: withCustom({}, { category: "bench" }),
        annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.05, 0.05] } },
      },
    );
    const w1doc = new Y.Doc();
    Y.applyUpdate(w1doc, Y.encodeStateAsUpdate(server));
    let w1: Uint8Array | null = null;
    w1doc.on("update", (u: Uint8Array) => (w1 = u));
    transact(w1doc, serverOrigin("workflow:edit"), () => recordMap(w1doc).set("status", `inProgress${i}`));
    if (!edit || !w1) throw new Error("no update");
    pairs.push([edit, w1]);
    client.destroy();
    w1doc.destroy();
  }
  const t0 = process.cpuUsage();
  const w0 = nowMs();
  let bytes = 0;
  for (const [a, b] of pairs) bytes += Y.mergeUpdates([a, b]).length;
  const cpu = process.cpuUsage(t0);
  console.log(
    JSON.stringify({
      boxes,
      merges: n,
      editBytes: pairs[0]?.[0].length,
      w1Bytes: pairs[0]?.[1].length,
      cpuUsPerMerge: Math.round(((cpu.user + cpu.system) / n) * 10) / 10,
      wallUsPerMerge: Math.round(((nowMs() - w0) * 1000 * 10) / n) / 10,
      mergedBytes: Math.round(bytes / n),
    }),
  );
} finally {
  await data.cleanup();
}
