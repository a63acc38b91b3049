import { createCollabDataset } from "../gen/collabDataset.js";

/** Size of a benchmark record document (`npx tsx src/probes/recordSize.ts [boxes]`): what the rooms and fanout scenarios load. */
const boxes = Number(process.argv[2] ?? 50);
const data = await createCollabDataset({ label: "size", records: [{ id: "room00000", boxes }] });
try {
  const update = await data.recordUpdate("room00000");
  console.log(JSON.stringify({ boxes, updateBytes: update.length }));
} finally {
  await data.cleanup();
}
