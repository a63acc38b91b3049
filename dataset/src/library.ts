import { randomBytes } from "node:crypto";
import { promises as fs, type Dirent } from "node:fs";
import * as path from "node:path";
import { datasetSchemaOf, parseDatasetInfo, type DatasetInfo } from "@tessera/shared-crdt";
import { Dataset, type DatasetOptions } from "./dataset.js";
import { DB_DIR, emptyFeaturesValues, INFO_FILE, readInfo, writeFeaturesValues, writeInfo } from "./datasetFiles.js";
import { DatasetError } from "./errors.js";
import { resolveMediaPath } from "./media.js";
import { TableStore } from "./tableStore.js";
import type { DatasetSummary, FeaturesValues } from "./types.js";

/**
 * A Pixano `DATA_DIR` (spec §3.1): `library/` (one folder per dataset), `media/`, `models/`, and
 * Tessera's own `.tessera/`. A dataset's identity is its `info.json` `id`, not its folder name.
 */
export const LIBRARY_DIR = "library";
export const MEDIA_DIR = "media";
export const MODELS_DIR = "models";
export const STATE_DIR = ".tessera";

/** Spec version Pixano 0.8.0 writes (`info.json:spec_version`). */
export const SPEC_VERSION = 2;

const FOLDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export type LibraryOptions = DatasetOptions;

interface CachedSummary {
  readonly infoMtime: number;
  readonly versionsMtime: number;
  readonly summary: DatasetSummary;
}

async function mtimeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return -1;
    throw err;
  }
}

/** Refreshes `ds` from its info.json; false when that file (or its folder) is gone. */
async function refreshedUnlessGone(ds: Dataset): Promise<boolean> {
  try {
    await ds.refresh();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

const ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** A 22-character id from shortuuid's alphabet (what Pixano generates for a dataset without one). */
export function randomId(): string {
  const bytes = randomBytes(22);
  return Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("");
}

/** Python's `datetime.now(timezone.utc).isoformat()`. */
function isoUtc(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000+00:00`;
}

export class Library {
  readonly libraryDir: string;
  readonly mediaDir: string;
  readonly modelsDir: string;
  readonly stateDir: string;
  private readonly summaries = new Map<string, CachedSummary>();
  private readonly handles = new Map<string, Promise<Dataset>>();

  constructor(
    readonly dataDir: string,
    private readonly options: LibraryOptions = {},
  ) {
    this.libraryDir = path.join(dataDir, LIBRARY_DIR);
    this.mediaDir = path.join(dataDir, MEDIA_DIR);
    this.modelsDir = path.join(dataDir, MODELS_DIR);
    this.stateDir = path.join(dataDir, STATE_DIR);
  }

  /** Creates the DATA_DIR folders (idempotent). */
  async init(): Promise<void> {
    for (const dir of [this.libraryDir, this.mediaDir, this.modelsDir, this.stateDir])
      await fs.mkdir(dir, { recursive: true });
  }

  private async folders(): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(this.libraryDir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
  }

  /**
   * Every dataset of the library (dot-folders ignored; the first folder wins when two share an
   * id). Summaries are cached per folder and recomputed only when `info.json` or the records
   * table changed (their mtimes), so listing does not open every table each time.
   */
  async scan(): Promise<DatasetSummary[]> {
    const out: DatasetSummary[] = [];
    const seen = new Set<string>();
    const folders = await this.folders();
    for (const folder of folders) {
      const dir = path.join(this.libraryDir, folder);
      const infoMtime = await mtimeOf(path.join(dir, INFO_FILE));
      if (infoMtime < 0) continue;
      const versionsMtime = await mtimeOf(path.join(dir, DB_DIR, "records.lance", "_versions"));
      let cached = this.summaries.get(folder);
      if (!cached || cached.infoMtime !== infoMtime || cached.versionsMtime !== versionsMtime) {
        // Each half is recomputed only when its own file changed: annotation writes move the
        // records table's version folder far more often than anyone edits info.json.
        let info: DatasetInfo;
        if (cached && cached.infoMtime === infoMtime) info = cached.summary.info;
        else {
          try {
            info = await readInfo(dir);
          } catch (err) {
            // One broken dataset must not hide the others; it is skipped until its info.json parses.
            console.warn(`tessera: skipping ${dir}: ${(err as Error).message}`);
            continue;
          }
        }
        const numRecords =
          cached && cached.versionsMtime === versionsMtime ? cached.summary.numRecords : await this.countRecords(dir);
        cached = { infoMtime, versionsMtime, summary: { id: info.id, name: info.name, folder, info, numRecords } };
        this.summaries.set(folder, cached);
      }
      if (seen.has(cached.summary.id)) continue;
      seen.add(cached.summary.id);
      out.push(cached.summary);
    }
    for (const folder of this.summaries.keys()) if (!folders.includes(folder)) this.summaries.delete(folder);
    return out;
  }

  private async countRecords(dir: string): Promise<number> {
    const store = await TableStore.connect(path.join(dir, DB_DIR));
    try {
      const t = await store.handle("records");
      return t ? await t.countRows() : 0;
    } finally {
      store.close();
    }
  }

  /** Where dataset `id` lives: `library/<id>/info.json` first, then every folder. */
  async find(id: string): Promise<{ folder: string; path: string; info: DatasetInfo } | null> {
    if (FOLDER_NAME.test(id)) {
      const dir = path.join(this.libraryDir, id);
      if ((await mtimeOf(path.join(dir, INFO_FILE))) >= 0) {
        const info = await readInfo(dir);
        if (info.id === id) return { folder: id, path: dir, info };
      }
    }
    for (const folder of await this.folders()) {
      const dir = path.join(this.libraryDir, folder);
      if ((await mtimeOf(path.join(dir, INFO_FILE))) < 0) continue;
      let info: DatasetInfo;
      try {
        info = await readInfo(dir);
      } catch (err) {
        console.warn(`tessera: skipping ${dir}: ${(err as Error).message}`); // see scan()
        continue;
      }
      if (info.id === id) return { folder, path: dir, info };
    }
    return null;
  }

  /**
   * The open dataset `id` (handles are cached; `info.json` changes by other writers are picked up,
   * a folder removed or replaced is looked up again). Throws `DatasetError("dataset_not_found")`.
   */
  async open(id: string): Promise<Dataset> {
    const cached = this.handles.get(id);
    if (cached) {
      const ds = await cached.catch(() => null);
      // One stat per lookup: `refresh` stats info.json and fails with ENOENT when the folder went.
      if (ds && (await refreshedUnlessGone(ds)) && ds.id === id) return ds;
      this.handles.delete(id);
      ds?.close();
    }
    const opening = (async () => {
      const found = await this.find(id);
      if (!found) throw new DatasetError("dataset_not_found", `Dataset '${id}' not found.`);
      return Dataset.open(found.path, this.options);
    })();
    this.handles.set(id, opening);
    // A failed open is not cached; the caller still gets the error through `opening`.
    opening.catch(() => this.handles.delete(id));
    return opening;
  }

  /**
   * Creates a dataset folder: `info.json` (Pixano's key order; 0.8 keys filled in), an empty
   * `features_values.json` (or the given one) and every declared table, empty, with its exact
   * Arrow schema. Built in a dot-folder and renamed, so scans never see half a dataset.
   */
  async create(
    folderName: string,
    infoInput: DatasetInfo | Record<string, unknown>,
    options: { featuresValues?: FeaturesValues } = {},
  ): Promise<Dataset> {
    if (!FOLDER_NAME.test(folderName))
      throw new DatasetError("invalid_argument", `invalid dataset folder name ${JSON.stringify(folderName)}`);
    const input = { ...infoInput } as Record<string, unknown>;
    if (typeof input.id !== "string" || input.id === "") input.id = randomId(); // like Pixano's Dataset.create
    const info = parseDatasetInfo(input);
    info.creation_date ??= isoUtc(this.options.now ? this.options.now() : new Date());
    info.bookmarks ??= [];
    info.spec_version ??= SPEC_VERSION;
    for (const slot of ["classification", "relation", "timeseries"]) info[slot] ??= null;
    const schema = datasetSchemaOf(info);
    await this.init();
    const target = path.join(this.libraryDir, folderName);
    if ((await mtimeOf(target)) >= 0) throw new DatasetError("dataset_exists", `folder '${folderName}' already exists`);
    if (await this.find(info.id))
      throw new DatasetError("dataset_exists", `a dataset with id '${info.id}' already exists`);
    const staging = path.join(this.libraryDir, `.creating-${folderName}-${process.pid}`);
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(staging, { recursive: true });
    try {
      await writeInfo(staging, info);
      await writeFeaturesValues(staging, options.featuresValues ?? emptyFeaturesValues());
      const store = await TableStore.connect(path.join(staging, DB_DIR));
      try {
        for (const [name, tableSchema] of schema.tables) await store.create(name, tableSchema);
      } finally {
        store.close();
      }
      await fs.rename(staging, target);
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      throw err;
    }
    return this.open(info.id);
  }

  /**
   * Forgets the cached handle and summary of dataset `id` (closing the handle), e.g. after an
   * import replaced its folder; the next `open`/`scan` reads it afresh.
   */
  async evict(id: string): Promise<void> {
    const cached = this.handles.get(id);
    this.handles.delete(id);
    for (const [folder, s] of this.summaries) if (s.summary.id === id) this.summaries.delete(folder);
    (await cached?.catch(() => null))?.close();
  }

  /** The dataset mosaic JPEG (`previews/dataset_preview.jpg`, made on first use); null if no embedded image. */
  async datasetPreview(id: string): Promise<Uint8Array | null> {
    return (await this.open(id)).preview();
  }

  /** Absolute path of a view `uri` inside `DATA_DIR/media` (see `resolveMediaPath`). */
  resolveMedia(uri: string): Promise<string> {
    return resolveMediaPath(this.mediaDir, uri);
  }

  /** Closes every open dataset. */
  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    for (const h of handles) (await h.catch(() => null))?.close();
  }
}
