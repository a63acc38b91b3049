import { appendFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { Library, type DatasetHandle } from "@tessera/dataset";
import type { ActivityEntry } from "@tessera/shared-crdt";
import { activityFileName } from "../../src/live/ActivityLog.js";

/** The activity feed's folder of a DATA_DIR (SPEC L-ACTIVITY). */
export const activityDir = (dataDir: string) => path.join(dataDir, ".tessera", "activity");

/** Appends entries to a dataset's feed file, as the activity log writes them (one JSON line each). */
export async function appendFeed(dataDir: string, datasetId: string, lines: readonly (ActivityEntry | string)[]) {
  await mkdir(activityDir(dataDir), { recursive: true });
  const text = lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n");
  await appendFile(path.join(activityDir(dataDir), activityFileName(datasetId)), `${text}\n`);
}

let n = 0;
const person = (id: string) => ({
  id,
  name: `${id.slice(0, 1).toUpperCase()}${id.slice(1)}`,
  color: "#336699",
  role: "annotator" as const,
});

/** A status transition of the feed. */
export function statusEntry(
  datasetId: string,
  at: string,
  user: string,
  recordId: string,
  from: string,
  to: string,
  action: "edit" | "submit" | "approve" | "reject" | "reopen" | "set",
): ActivityEntry {
  return {
    id: `s${++n}`,
    datasetId,
    recordId,
    kind: "status",
    user: person(user),
    at,
    status: { from, to, action, comment: action === "reject" ? "fix it" : "" },
  };
}

/** An edit batch of the feed, from `at` to `until` (absent: a feed written before `until` existed). */
export function editEntry(
  datasetId: string,
  at: string,
  until: string | null,
  user: string,
  recordId: string,
): ActivityEntry {
  return {
    id: `e${++n}`,
    datasetId,
    recordId,
    kind: "edit",
    user: person(user),
    at,
    ...(until === null ? {} : { until }),
    tables: { bboxes: { added: 1, updated: 0, removed: 0 } },
  };
}

/** Opens a dataset of a DATA_DIR for the duration of `fn`. */
export async function withDataset<T>(dataDir: string, id: string, fn: (ds: DatasetHandle) => Promise<T>): Promise<T> {
  const library = new Library(dataDir);
  await library.init();
  try {
    const ds = await library.open(id);
    return await fn(ds);
  } finally {
    await library.close();
  }
}
