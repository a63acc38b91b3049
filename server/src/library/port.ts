import type { DatasetInfo } from "@tessera/shared-crdt";
import type { DatasetHandle } from "@tessera/dataset";

/** One dataset of the library as the `/datasets` listing shows it. */
export interface DatasetEntry {
  readonly id: string;
  /** Folder inside `DATA_DIR/library` (not the id). */
  readonly folder: string;
  readonly info: DatasetInfo;
  readonly numRecords: number;
}

/**
 * What the HTTP layer needs from the dataset library: list, open by id (cached handles), the
 * library preview mosaic, and a way to say "I wrote to this dataset" so cached listings refresh.
 * {@link createLibraryAdapter} implements it on `@tessera/dataset`.
 */
export interface LibraryPort {
  readonly libraryDir: string;
  list(): Promise<readonly DatasetEntry[]>;
  /** The dataset with this `info.json:id`, or null. Handles are opened once and reused. */
  open(id: string): Promise<DatasetHandle | null>;
  /** Folder of a dataset relative to the library, or null. */
  folderOf(id: string): Promise<string | null>;
  /** `data:image/jpeg;base64,…` mosaic of the dataset (generated once, cached), or "". */
  preview(id: string): Promise<string>;
  /**
   * A value derived from a dataset (enumerated filter values, stats), computed once and reused
   * until the dataset is written through the API or a short time has passed (external writers).
   */
  memo<T>(id: string, key: string, compute: () => Promise<T>): Promise<T>;
  /** Called after a write through the API: drops cached counts, memos and the listing entry. */
  touched(id: string): void;
  close(): Promise<void>;
}
