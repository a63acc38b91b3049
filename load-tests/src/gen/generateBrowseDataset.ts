import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Library } from "@tessera/dataset";
import { formatTimestamp, withCustom, type NewRow } from "@tessera/shared-crdt";
import { Rng } from "../rng.js";

/**
 * A large image dataset for browse benchmarks, built through `@tessera/dataset` in big batches:
 * N records (split, status, custom `weather`, a rare comment), one image view row per record that
 * references its media by `uri` (no bytes), and, on every `boxEvery`-th record, three entities with
 * one bbox each. Cached under `load-tests/.cache/` (gitignored) and reused while the generator
 * version and size match; the first build reports rows/s and peak RSS.
 */
const BROWSE_DATASET_ID = "browse_1m";
/** Bump when the generated content changes, to invalidate caches. */
const GENERATOR_VERSION = 1;
const BATCH = 50_000;
const BOX_EVERY = 10;
const BOXES_PER_RECORD = 3;
const RARE_WORD = "occluded";
const WEATHERS = ["sunny", "cloudy", "rainy", "foggy", "snowy"] as const;

interface GenerationStats {
  readonly seconds: number;
  readonly rows: Readonly<Record<string, number>>;
  readonly rowsPerSecond: number;
  readonly peakRssMb: number;
  readonly optimizeSeconds: number;
}

export interface BrowseDatasetInfo {
  readonly datasetId: string;
  readonly dataDir: string;
  readonly records: number;
  readonly boxEvery: number;
  /** Records carrying boxes: indexes 0, boxEvery, 2·boxEvery, … */
  readonly boxedRecords: number;
  readonly rareWord: string;
  /** A sample of `inReview` record ids spread over the whole dataset. */
  readonly inReviewSample: readonly string[];
  readonly generation: GenerationStats;
  recordId(index: number): string;
}

interface Meta extends Omit<BrowseDatasetInfo, "recordId" | "dataDir"> {
  readonly version: number;
}

const cacheRoot = fileURLToPath(new URL("../../.cache/", import.meta.url));
const recordId = (i: number) => `r${String(i).padStart(7, "0")}`;

function statusOf(rng: Rng): string {
  const r = rng.next();
  return r < 0.5 ? "new" : r < 0.7 ? "inProgress" : r < 0.85 ? "inReview" : "validated";
}

/** Rows of records [from, to). Deterministic: each record's values come from a PRNG seeded by its index. */
function batchRows(
  from: number,
  to: number,
  base: number,
  inReview: string[],
): { [T in "records" | "images" | "entities" | "bboxes"]: NewRow<T>[] } {
  const out: { [T in "records" | "images" | "entities" | "bboxes"]: NewRow<T>[] } = {
    records: [],
    images: [],
    entities: [],
    bboxes: [],
  };
  for (let i = from; i < to; i++) {
    const rng = new Rng(0x9e3779b9 ^ i);
    const id = recordId(i);
    const status = statusOf(rng);
    const created = base + i * 2000;
    const updated = status === "new" ? created : created + rng.int(60, 40 * 24 * 3600) * 1000;
    const splitDraw = rng.next();
    out.records.push(
      withCustom(
        {
          id,
          split: splitDraw < 0.8 ? "train" : splitDraw < 0.9 ? "val" : "test",
          created_at: formatTimestamp(new Date(created)),
          updated_at: formatTimestamp(new Date(updated)),
          status,
          comment: rng.next() < 0.002 ? `needs a second look: ${RARE_WORD} pedestrian` : "",
        },
        { weather: rng.pick(WEATHERS) },
      ),
    );
    if (status === "inReview" && i % 997 === 0) inReview.push(id);
    out.images.push({
      id: `${id}_img`,
      record_id: id,
      logical_name: "image",
      uri: `browse/${id.slice(0, 4)}/${id}.jpg`,
      raw_bytes: new Uint8Array(0),
      preview: new Uint8Array(0),
      preview_format: "",
      width: 640,
      height: 480,
      format: "JPEG",
    });
    if (i % BOX_EVERY !== 0) continue;
    for (let k = 0; k < BOXES_PER_RECORD; k++) {
      const entityId = `${id}_e${k}`;
      out.entities.push(
        withCustom({ id: entityId, record_id: id, parent_id: "" }, { category: rng.pick(["car", "person", "sign"]) }),
      );
      const w = 0.05 + rng.next() * 0.3;
      const h = 0.05 + rng.next() * 0.3;
      out.bboxes.push({
        id: `${entityId}_b`,
        record_id: id,
        entity_id: entityId,
        source_type: "human",
        source_name: "bench",
        source_metadata: "{}",
        view_id: `${id}_img`,
        tracklet_id: "",
        entity_dynamic_state_id: "",
        frame_id: "",
        frame_index: -1,
        coords: [rng.next() * (1 - w), rng.next() * (1 - h), w, h],
        format: "xywh",
        is_normalized: true,
        confidence: 1,
      });
    }
  }
  return out;
}

const str = { collection: false, type: "str", required: false, default: "" };

export interface EnsureOptions {
  readonly records: number;
  readonly log: (message: string) => void;
  /** Rebuild even when a cached copy exists. */
  readonly rebuild?: boolean;
}

/** The cached browse dataset of this size, generated first if missing or stale. */
export async function ensureBrowseDataset(options: EnsureOptions): Promise<BrowseDatasetInfo> {
  const dataDir = path.join(cacheRoot, `browse-${options.records}`);
  const metaFile = path.join(dataDir, "meta.json");
  if (!options.rebuild && existsSync(metaFile)) {
    const meta = JSON.parse(await readFile(metaFile, "utf8")) as Meta;
    if (meta.version === GENERATOR_VERSION && meta.records === options.records) {
      options.log(`using cached dataset ${dataDir} (built in ${meta.generation.seconds} s)`);
      return { ...meta, dataDir, recordId };
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const meta = await generate(dataDir, options);
  await writeFile(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
  return { ...meta, dataDir, recordId };
}

async function generate(dataDir: string, options: EnsureOptions): Promise<Meta> {
  const n = options.records;
  options.log(
    `generating ${n.toLocaleString("en")} records into ${dataDir} (batches of ${BATCH.toLocaleString("en")})`,
  );
  // Index and compact once at the end, not after each batch.
  const library = new Library(dataDir, { optimizeAfterRows: Number.POSITIVE_INFINITY });
  const rows: Record<string, number> = { records: 0, images: 0, entities: 0, bboxes: 0 };
  const inReview: string[] = [];
  let peakRss = process.memoryUsage().rss;
  const t0 = performance.now();
  try {
    const ds = await library.create(BROWSE_DATASET_ID, {
      id: BROWSE_DATASET_ID,
      name: BROWSE_DATASET_ID,
      description: `${n} records for browse benchmarks (load-tests)`,
      workspace: "image",
      storage_mode: "filesystem",
      record: { base: "Record", fields: { weather: str }, name: "BenchRecord" },
      entity: { base: "Entity", fields: { category: str }, name: "BenchEntity" },
      bbox: { base: "BBox", fields: {} },
      views: { image: { base: "Image", fields: {} } },
    });
    const base = Date.UTC(2026, 0, 1);
    for (let from = 0; from < n; from += BATCH) {
      const batch = batchRows(from, Math.min(n, from + BATCH), base, inReview);
      // Foreign keys are consistent by construction; the per-batch id-uniqueness check still runs.
      for (const table of ["records", "images", "entities", "bboxes"] as const) {
        await ds.add(table, batch[table], { keepTimestamps: true, skipForeignKeys: true });
        rows[table] = (rows[table] ?? 0) + batch[table].length;
      }
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const s = (performance.now() - t0) / 1000;
      const total = Object.values(rows).reduce((a, b) => a + b, 0);
      options.log(
        `  ${Math.min(n, from + BATCH).toLocaleString("en")} records, ${Math.round(total / s).toLocaleString("en")} rows/s, RSS ${Math.round(peakRss / 2 ** 20)} MB`,
      );
    }
    const tOpt = performance.now();
    await ds.optimize();
    const optimizeSeconds = Math.round((performance.now() - tOpt) / 100) / 10;
    options.log(`  indexes + compaction: ${optimizeSeconds} s`);
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    const total = Object.values(rows).reduce((a, b) => a + b, 0);
    peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
    return {
      version: GENERATOR_VERSION,
      datasetId: BROWSE_DATASET_ID,
      records: n,
      boxEvery: BOX_EVERY,
      boxedRecords: Math.ceil(n / BOX_EVERY),
      rareWord: RARE_WORD,
      inReviewSample: inReview,
      generation: {
        seconds,
        rows,
        rowsPerSecond: Math.round(total / seconds),
        peakRssMb: Math.round(peakRss / 2 ** 20),
        optimizeSeconds,
      },
    };
  } finally {
    await library.close();
  }
}
