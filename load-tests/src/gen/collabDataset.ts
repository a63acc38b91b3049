import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Library } from "@tessera/dataset";
import { recordUpdateFromRows } from "@tessera/storage";
import type { Row } from "@tessera/shared-crdt";
import { Rng } from "../rng.js";

/**
 * A temporary DATA_DIR with one image dataset for the collaboration scenarios, written through
 * `@tessera/dataset` the way an import would: records, one image view each (by `uri`), and per
 * record `boxes` entities with one box each. The same record as a Yjs update (built from the rows
 * exactly as Tessera builds a record it has no snapshot for) seeds the stock server, which has no
 * storage of its own — so both servers serve the same content.
 */
const COLLAB_DATASET = "bench";

export interface CollabDataset {
  readonly root: string;
  readonly dataDir: string;
  readonly datasetId: string;
  /** `info.json` as written (bots validate their edits with it). */
  readonly info: Record<string, unknown>;
  /** Box row ids of a record, in order (box k belongs to entity k). */
  boxIds(recordId: string, count: number): string[];
  /** A record's content as one Yjs update (a fresh document built from its rows). */
  recordUpdate(recordId: string): Promise<Uint8Array>;
  cleanup(): Promise<void>;
}

const str = { collection: false, type: "str", required: false, default: "" };

const boxId = (recordId: string, k: number) => `${recordId}-b${String(k).padStart(4, "0")}`;
const entityId = (recordId: string, k: number) => `${recordId}-e${String(k).padStart(4, "0")}`;

export interface CollabSpec {
  /** Record ids and how many boxes each holds. */
  readonly records: ReadonlyArray<{ readonly id: string; readonly boxes: number }>;
  readonly label: string;
}

export async function createCollabDataset(spec: CollabSpec): Promise<CollabDataset> {
  const root = await mkdtemp(path.join(os.tmpdir(), `tessera-bench-${spec.label}-`));
  const dataDir = path.join(root, "data");
  const library = new Library(dataDir, { optimizeAfterRows: Number.POSITIVE_INFINITY });
  let info: Record<string, unknown>;
  try {
    await library.init();
    const ds = await library.create(COLLAB_DATASET, {
      id: COLLAB_DATASET,
      name: COLLAB_DATASET,
      description: `collaboration benchmark (${spec.label})`,
      workspace: "image",
      storage_mode: "filesystem",
      record: { base: "Record", fields: {} },
      entity: { base: "Entity", name: "BenchEntity", fields: { category: str } },
      bbox: { base: "BBox", fields: {} },
      views: { image: { base: "Image", fields: {} } },
    });
    const rng = new Rng(0x5eed);
    const BATCH = 200;
    for (let from = 0; from < spec.records.length; from += BATCH) {
      const rows: Record<"records" | "images" | "entities" | "bboxes", Row[]> = {
        records: [],
        images: [],
        entities: [],
        bboxes: [],
      };
      for (const r of spec.records.slice(from, from + BATCH)) {
        rows.records.push({ id: r.id, split: "train" });
        const view = `${r.id}-img`;
        rows.images.push({
          id: view,
          record_id: r.id,
          logical_name: "image",
          uri: `bench/${r.id}.jpg`,
          width: 640,
          height: 480,
          format: "JPEG",
        });
        for (let k = 0; k < r.boxes; k++) {
          rows.entities.push({ id: entityId(r.id, k), record_id: r.id, category: rng.pick(["car", "person", "sign"]) });
          const w = 0.05 + rng.next() * 0.2;
          const h = 0.05 + rng.next() * 0.2;
          rows.bboxes.push({
            id: boxId(r.id, k),
            record_id: r.id,
            entity_id: entityId(r.id, k),
            view_id: view,
            coords: [rng.next() * (1 - w), rng.next() * (1 - h), w, h].map((v) => Math.round(v * 1e4) / 1e4),
            format: "xywh",
            is_normalized: true,
            confidence: 1,
            source_type: "human",
            source_name: "bench",
            source_metadata: "{}",
          });
        }
      }
      await ds.addRecords(rows, { skipForeignKeys: true });
    }
    await ds.optimize();
    info = JSON.parse(await readFile(path.join(ds.path, "info.json"), "utf8")) as Record<string, unknown>;
  } finally {
    await library.close();
  }
  return {
    root,
    dataDir,
    datasetId: COLLAB_DATASET,
    info,
    boxIds: (recordId, count) => Array.from({ length: count }, (_, k) => boxId(recordId, k)),
    async recordUpdate(recordId) {
      const lib = new Library(dataDir);
      try {
        const ds = await lib.open(COLLAB_DATASET);
        return await recordUpdateFromRows(ds, { datasetId: COLLAB_DATASET, recordId });
      } finally {
        await lib.close();
      }
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
