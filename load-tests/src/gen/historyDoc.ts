import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  deleteRows,
  parseDatasetInfo,
  updateRow,
  type DocContext,
  withCustom,
} from "@tessera/shared-crdt";
import { nowMs } from "../clock.js";
import { Rng } from "../rng.js";

/**
 * A record document with a long editing history, as collaboration.md §4.3 measured the stock
 * server with: `ops` separate transactions through the shared-crdt mutators — 20 % create an
 * entity with its box, 70 % move a box, 10 % delete an entity (with its box) — so the document
 * carries the structs and tombstones of that history, not just its final rows.
 */
export interface HistoryDoc {
  /** The whole document as one update (what a client uploads, and what a joiner downloads). */
  readonly update: Uint8Array;
  readonly ops: number;
  readonly liveEntities: number;
  readonly avgUpdateBytes: number;
  readonly buildMs: number;
}

export function buildHistoryDoc(
  info: Record<string, unknown>,
  recordId: string,
  ops: number,
  seed = 10_000,
): HistoryDoc {
  const t0 = nowMs();
  const doc = new Y.Doc();
  const rng = new Rng(seed);
  let n = 0;
  const ctx: DocContext = { doc, schema: datasetSchemaOf(parseDatasetInfo(info)), recordId, newId: () => `h${++n}` };
  const origin = clientOrigin("history");
  const live: Array<{ entity: string; box: string }> = [];
  let updateBytes = 0;
  let updates = 0;
  doc.on("update", (u: Uint8Array) => {
    updateBytes += u.length;
    updates++;
  });
  const coords = () => {
    const w = 0.02 + rng.next() * 0.2;
    const h = 0.02 + rng.next() * 0.2;
    return [rng.next() * (1 - w), rng.next() * (1 - h), w, h].map((v) => Math.round(v * 1e4) / 1e4);
  };
  for (let i = 0; i < ops; i++) {
    const r = rng.next();
    if (live.length === 0 || r < 0.2) {
      const { entityId, annotationId } = createEntity(ctx, origin, {
        entity: withCustom({}, { category: rng.pick(["car", "person", "sign"]) }),
        annotation: { table: "bboxes", row: { coords: coords(), format: "xywh", is_normalized: true } },
      });
      live.push({ entity: entityId, box: annotationId ?? "" });
    } else if (r < 0.9) {
      const target = live[rng.int(0, live.length - 1)];
      if (target) updateRow(ctx, origin, "bboxes", target.box, { coords: coords() });
    } else {
      const at = rng.int(0, live.length - 1);
      const [gone] = live.splice(at, 1);
      if (gone) deleteRows(ctx, origin, "entities", [gone.entity]);
    }
  }
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return {
    update,
    ops,
    liveEntities: live.length,
    avgUpdateBytes: Math.round((updateBytes / Math.max(1, updates)) * 10) / 10,
    buildMs: Math.round(nowMs() - t0),
  };
}
