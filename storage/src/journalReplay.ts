import * as fs from "node:fs/promises";
import * as path from "node:path";
import { latestEntries, listSegments, readSegment, type Journal } from "./Journal.js";
import { JOURNAL_SUFFIX, type JournalEntry } from "./journalFormat.js";
import { syncDir, type SyncFn } from "./stateFiles.js";
import type { LogEntry, RecordKey } from "./types.js";

/**
 * Start-up recovery of the shared journal (the writer only, before its first operation): every
 * entry of the segments left by the previous process (a crash, or a checkpoint that did not finish)
 * that its record file lacks is appended there; then record files and folders are synced and only
 * then are the segments deleted. Positions at or below a record file's last one are already there
 * (or were trimmed after a fold), so a replay twice is a no-op. When an entry cannot be put back,
 * every segment is kept for the next start.
 */
export async function replayJournal(
  journal: Journal,
  apply: (key: RecordKey, entries: LogEntry[]) => Promise<number>,
  sync: SyncFn,
  warn: (message: string) => void,
): Promise<void> {
  const segments = await listSegments(journal.dir);
  if (segments.length === 0) return;
  const read: JournalEntry[][] = [];
  for (const file of segments) {
    const seq = Number(path.basename(file, JOURNAL_SUFFIX));
    if (Number.isSafeInteger(seq)) journal.startAfter(seq);
    const seg = await readSegment(file);
    if (seg.problem) warn(`journal ${file}: ${seg.problem}; kept ${seg.entries.length} valid entries`);
    read.push(seg.entries);
  }
  let failed = 0;
  for (const { key, entries } of latestEntries(read).values()) {
    const list = [...entries].sort((a, b) => a[0] - b[0]).map(([pos, update]) => ({ pos, update }));
    try {
      const n = await apply(key, list);
      if (n > 0)
        warn(
          `record ${JSON.stringify(key.datasetId)}/${JSON.stringify(key.recordId)}: ${n} entries recovered from the journal`,
        );
    } catch (e) {
      failed++;
      warn(
        `journal replay of record ${JSON.stringify(key.datasetId)}/${JSON.stringify(key.recordId)} failed (${e instanceof Error ? e.message : String(e)}); the journal is kept for the next start`,
      );
    }
  }
  const sealed = journal.seal();
  if (sealed) await journal.checkpoint(sealed);
  if (failed > 0) return;
  for (const file of segments) await fs.rm(file, { force: true });
  await syncDir(journal.dir, sync);
}
