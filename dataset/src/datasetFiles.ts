import { promises as fs } from "node:fs";
import * as path from "node:path";
import { parseDatasetInfo, schema as model, serializeDatasetInfo, type DatasetInfo } from "@tessera/shared-crdt";
import { DatasetError } from "./errors.js";
import type { FeatureConstraint, FeaturesValues, StatsEntry } from "./types.js";

/**
 * The JSON files of a dataset folder (Pixano spec §3.2, §3.6): `info.json`,
 * `features_values.json`, `stats.json`. Written as Python's `json.dump(indent=4)` does, through a
 * temporary file and a rename so a reader never sees half a file.
 */
export const INFO_FILE = "info.json";
export const FEATURES_VALUES_FILE = "features_values.json";
export const STATS_FILE = "stats.json";
export const DB_DIR = "db";
export const PREVIEWS_DIR = "previews";

/** Keys Pixano 0.8.0 writes in a fresh `features_values.json`, in its order (0.7 wrote the four of {@link FeaturesValues}). */
const FEATURES_VALUES_KEYS = [
  "item",
  "records",
  "views",
  "entities",
  "entity_dynamic_states",
  "annotations",
  "embeddings",
] as const;

let tmpCounter = 0;

export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`);
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, file);
}

async function readJson(file: string): Promise<unknown> {
  const text = await fs.readFile(file, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DatasetError("invalid_dataset", `${file}: not valid JSON (${(err as Error).message})`);
  }
}

export async function readInfo(datasetDir: string): Promise<DatasetInfo> {
  return parseDatasetInfo(await readJson(path.join(datasetDir, INFO_FILE)));
}

/** Writes `info.json` with Pixano's key order and indent; unknown keys are kept. */
export async function writeInfo(datasetDir: string, info: DatasetInfo): Promise<void> {
  await writeFileAtomic(path.join(datasetDir, INFO_FILE), serializeDatasetInfo(info));
}

export function emptyFeaturesValues(): FeaturesValues {
  const out: Record<string, Record<string, FeatureConstraint[]>> = {};
  for (const k of FEATURES_VALUES_KEYS) out[k] = {};
  return out as FeaturesValues;
}

function parseConstraints(value: unknown, where: string): Record<string, FeatureConstraint[]> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new DatasetError("invalid_dataset", `${where}: not an object`);
  const out: Record<string, FeatureConstraint[]> = {};
  for (const [table, list] of Object.entries(value)) {
    if (!Array.isArray(list)) throw new DatasetError("invalid_dataset", `${where}.${table}: not a list`);
    out[table] = list.map((c: unknown, i) => {
      const o = c as Partial<FeatureConstraint> | null;
      if (!o || typeof o.name !== "string" || !Array.isArray(o.values)) {
        throw new DatasetError("invalid_dataset", `${where}.${table}[${i}]: needs "name" and "values"`);
      }
      return { name: o.name, restricted: o.restricted === true, values: o.values };
    });
  }
  return out;
}

/** Parses `features_values.json`; missing groups are empty, extra groups are kept. */
export function parseFeaturesValues(json: unknown): FeaturesValues {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new DatasetError("invalid_dataset", "features_values.json: not an object");
  }
  const out: Record<string, Record<string, FeatureConstraint[]>> = {};
  for (const [k, v] of Object.entries(json)) out[k] = parseConstraints(v, `features_values.json:${k}`);
  for (const k of ["item", "views", "entities", "annotations"]) out[k] ??= {};
  return out as FeaturesValues;
}

export async function readFeaturesValues(datasetDir: string): Promise<FeaturesValues> {
  const file = path.join(datasetDir, FEATURES_VALUES_FILE);
  try {
    return parseFeaturesValues(await readJson(file));
  } catch (err) {
    // Pixano requires the file, but a missing one is harmless for reading: treat it as empty.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyFeaturesValues();
    throw err;
  }
}

export async function writeFeaturesValues(datasetDir: string, values: FeaturesValues): Promise<void> {
  await writeFileAtomic(path.join(datasetDir, FEATURES_VALUES_FILE), model.pythonJson(values));
}

export async function readStats(datasetDir: string): Promise<StatsEntry[] | null> {
  try {
    const json = await readJson(path.join(datasetDir, STATS_FILE));
    if (!Array.isArray(json)) throw new DatasetError("invalid_dataset", "stats.json: not a list");
    return json as StatsEntry[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export async function writeStats(datasetDir: string, stats: readonly StatsEntry[]): Promise<void> {
  await writeFileAtomic(path.join(datasetDir, STATS_FILE), model.pythonJson(stats));
}
