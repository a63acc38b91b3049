import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Library } from "@tessera/dataset";

/**
 * A temporary DATA_DIR with one video-workspace dataset written through `@tessera/dataset`: twelve
 * small records (one per test, so tests never share a document), one validated record, and a big
 * record with hundreds of rows for the load-ordering test.
 */
export const DS = "sync-ds";
export const BIG = "r-big";
export const VALIDATED = "r-validated";
export const BIG_ROWS = 300;
const RECORDS = Array.from({ length: 12 }, (_, i) => `r${i}`);

const str = (dflt = "") => ({ collection: false, type: "str", required: false, default: dflt });

export interface SyncTestData {
  readonly dataDir: string;
  cleanup(): Promise<void>;
}

export async function buildSyncDataDir(): Promise<SyncTestData> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-sync-"));
  const dataDir = path.join(root, "data");
  const library = new Library(dataDir, { now: () => new Date("2026-01-02T03:04:05.000Z") });
  await library.init();
  const ds = await library.create("sync_folder", {
    id: DS,
    name: "Sync DS",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Thing", fields: { category: str() } },
    bbox: { base: "BBox", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    message: { base: "Message", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  });
  const ids = [...RECORDS, VALIDATED, BIG];
  await ds.add(
    "records",
    ids.map((id) => ({ id, split: "train", status: id === VALIDATED ? "validated" : "new" })),
  );
  await ds.add(
    "images",
    ids.map((id) => ({
      id: `img-${id}`,
      record_id: id,
      logical_name: "image",
      uri: `${id}.png`,
      width: 100,
      height: 80,
      format: "PNG",
    })),
  );
  await ds.add(
    "entities",
    ids.map((id) => ({ id: `ent-${id}`, record_id: id, category: "seed" })),
  );
  await ds.add(
    "bboxes",
    ids.map((id) => ({
      id: `bb-${id}`,
      record_id: id,
      entity_id: `ent-${id}`,
      view_id: `img-${id}`,
      coords: [0.1, 0.1, 0.2, 0.2],
      format: "xywh",
      is_normalized: true,
    })),
  );
  const bigEntities = [];
  const bigBoxes = [];
  for (let i = 0; i < BIG_ROWS; i++) {
    bigEntities.push({ id: `big-ent-${i}`, record_id: BIG, category: `c${i % 7}` });
    bigBoxes.push({
      id: `big-bb-${i}`,
      record_id: BIG,
      entity_id: `big-ent-${i}`,
      view_id: `img-${BIG}`,
      coords: [(i % 10) / 20, 0.1, 0.05, 0.05],
      format: "xywh",
      is_normalized: true,
    });
  }
  await ds.add("entities", bigEntities);
  await ds.add("bboxes", bigBoxes);
  await library.close();
  return { dataDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}
