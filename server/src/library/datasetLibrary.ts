import { DatasetError, Library, type DatasetHandle } from "@tessera/dataset";
import type { Logger } from "../logger.js";
import type { DatasetEntry, LibraryPort } from "./port.js";

/** How long a memo (enumerated filter values, split counts) is trusted when nobody wrote through the API. */
const MEMO_TTL_MS = 10_000;

interface Memo {
  readonly at: number;
  readonly value: Promise<unknown>;
}

/**
 * {@link LibraryPort} on `@tessera/dataset`'s `Library`: the listing comes from its scan (cached
 * per folder on `info.json` and records-table mtimes), handles are the library's cached ones, the
 * mosaic is read or made once per dataset and kept as a data URL.
 */
export function createLibraryAdapter(dataDir: string, options: { logger: Logger; now?: () => number }): LibraryPort {
  const library = new Library(dataDir);
  const now = options.now ?? (() => Date.now());
  const previews = new Map<string, Promise<string>>();
  const memos = new Map<string, Map<string, Memo>>();

  const open = async (id: string): Promise<DatasetHandle | null> => {
    try {
      return await library.open(id);
    } catch (err) {
      if (err instanceof DatasetError && err.reason === "dataset_not_found") return null;
      throw err;
    }
  };

  return {
    libraryDir: library.libraryDir,
    async list(): Promise<readonly DatasetEntry[]> {
      return (await library.scan()).map((s) => ({
        id: s.id,
        folder: s.folder,
        info: s.info,
        numRecords: s.numRecords,
      }));
    },
    open,
    async folderOf(id) {
      return (await library.find(id))?.folder ?? null;
    },
    preview(id) {
      let p = previews.get(id);
      if (!p) {
        p = library.datasetPreview(id).then(
          (jpeg) => (jpeg ? `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` : ""),
          (err: unknown) => {
            // Pixano lists a dataset whose mosaic cannot be made with an empty preview; so do we.
            options.logger.warn("dataset preview unavailable", {
              dataset: id,
              error: err instanceof Error ? err.message : String(err),
            });
            previews.delete(id);
            return "";
          },
        );
        previews.set(id, p);
      }
      return p;
    },
    memo<T>(id: string, key: string, compute: () => Promise<T>): Promise<T> {
      const perDataset = memos.get(id) ?? new Map<string, Memo>();
      memos.set(id, perDataset);
      const hit = perDataset.get(key);
      if (hit && now() - hit.at < MEMO_TTL_MS) return hit.value as Promise<T>;
      const value = compute();
      perDataset.set(key, { at: now(), value });
      value.catch(() => perDataset.delete(key));
      return value;
    },
    touched(id) {
      memos.delete(id);
      previews.delete(id);
    },
    close: () => library.close(),
  };
}
