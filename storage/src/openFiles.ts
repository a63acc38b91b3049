import * as fsSync from "node:fs";
import type { RecordFile } from "./recordFile.js";

/**
 * The record files of `FileRecordLog` holding an open descriptor, at most `max` of them once idle:
 * the least recently used idle ones are closed first and reopen on their next use without a
 * rescan (their state stays valid: this process is their only writer).
 */
export class OpenFiles {
  private readonly open = new Map<string, RecordFile>();

  constructor(
    private readonly max: number,
    private readonly warn: (message: string) => void,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** The file's descriptor, reopened if it was closed as idle. */
  fdOf(rf: RecordFile): number {
    if (rf.fd < 0) rf.fd = fsSync.openSync(rf.path, "r+");
    this.open.set(rf.path, rf);
    return rf.fd;
  }

  close(rf: RecordFile): void {
    this.open.delete(rf.path);
    if (rf.fd < 0) return;
    const fd = rf.fd;
    rf.fd = -1;
    fsSync.closeSync(fd);
  }

  /** Closes idle files beyond the maximum; `busy` lists the paths appends are queued for. */
  evictIdle(busy: () => ReadonlySet<string>): void {
    if (this.open.size <= this.max) return;
    const queued = busy();
    const idle = [...this.open.values()]
      .filter((rf) => !rf.lock.locked && !queued.has(rf.path))
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const rf of idle.slice(0, this.open.size - this.max)) {
      if (!rf.lock.tryLock()) continue;
      try {
        this.close(rf);
      } catch (e) {
        // Eviction only saves descriptors; a failed close leaves one open, nothing else.
        this.warn(`closing an idle log file failed: ${String(e)}`);
      } finally {
        rf.lock.unlock();
      }
    }
  }

  closeAll(): void {
    for (const rf of [...this.open.values()]) this.close(rf);
  }
}
