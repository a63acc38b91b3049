import * as fs from "node:fs/promises";
import * as path from "node:path";
import { RecordLogError } from "./errors.js";
import { isNotFound, isTempName } from "./stateFiles.js";
import type { LogEntry, LogPosition, RecordKey } from "./types.js";
import { parseHeader, scanEntries } from "./walFormat.js";

/** Log files read whole, for listings and for readers in another process than the writer. */

export const WAL_SUFFIX = ".wal";

export async function listLogFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  let datasets: string[];
  try {
    datasets = await fs.readdir(root);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  for (const d of datasets.sort()) {
    let names: string[];
    try {
      names = await fs.readdir(path.join(root, d));
    } catch (e) {
      if (isNotFound(e) || (e as NodeJS.ErrnoException).code === "ENOTDIR") continue;
      throw e;
    }
    for (const n of names.sort()) if (n.endsWith(WAL_SUFFIX) && !isTempName(n)) out.push(path.join(root, d, n));
  }
  return out;
}

export async function readParsed(file: string): Promise<{ key: RecordKey; entries: LogEntry[] } | null> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw new RecordLogError("io", `cannot read ${file}`, { cause: e });
  }
  const h = parseHeader(bytes);
  if (!h.ok) throw new RecordLogError("corrupt", `${file}: ${h.problem}`);
  const scan = scanEntries(bytes, h.header);
  return {
    key: h.header.key,
    entries: scan.entries.map((e) => ({ pos: e.pos, update: bytes.subarray(e.offset, e.offset + e.length) })),
  };
}

/** Reader path: the whole file, parsed fresh (another process may be appending or trimming). */
export async function readWholeFile(file: string, after: LogPosition): Promise<LogEntry[]> {
  const parsed = await readParsed(file);
  return parsed ? parsed.entries.filter((e) => e.pos > after) : [];
}
