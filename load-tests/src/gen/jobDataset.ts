import { mkdir, mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Library, type Dataset } from "@tessera/dataset";

/**
 * The data folder of a background-job benchmark (`preannotate`, `track`, `embed`, `inference`): a
 * temporary `DATA_DIR` with one dataset stored `filesystem` (media under `DATA_DIR/media/`, made
 * here), whose entities are `BenchEntity` with a `category` — the rows the legitimate editors of
 * `probes/editorPair.ts` add, so every one of their edits is valid. `tables` are the annotation
 * tables and views of the dataset's `info.json` (`bbox`, `mask`, `tracklet`, `views`). The caller
 * adds its rows through `ds` and closes `library`.
 */
export interface JobDataset {
  readonly root: string;
  readonly dataDir: string;
  readonly media: string;
  readonly library: Library;
  readonly ds: Dataset;
}

type InfoTables = Readonly<Record<string, unknown>>;

export async function jobDataset(
  scenario: string,
  id: string,
  workspace: "image" | "video",
  tables: InfoTables,
): Promise<JobDataset> {
  const root = await mkdtemp(path.join(os.tmpdir(), `tessera-bench-${scenario}-`));
  const dataDir = path.join(root, "data");
  const library = new Library(dataDir);
  await library.init();
  const str = { collection: false, type: "str", required: false, default: "" };
  const ds = await library.create(id, {
    id,
    name: id,
    description: `${scenario} benchmark`,
    workspace,
    storage_mode: "filesystem",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "BenchEntity", fields: { category: str } },
    ...tables,
  });
  const media = path.join(dataDir, "media");
  await mkdir(media, { recursive: true });
  return { root, dataDir, media, library, ds };
}
