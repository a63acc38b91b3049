import { RecordLogError, type LogEntry, type LogPosition, type RecordKey, type RecordLog } from "@tessera/storage";

/**
 * The record log of a scaled-mode process with the lease check reported: an append the log refused as
 * `fenced` (the record's lease names another process or epoch: another process owns the record now) tells
 * `onFenced`, which drops the room; the error still reaches the room, so that update is never confirmed.
 */
export class FencedLogReporter implements RecordLog {
  constructor(
    private readonly inner: RecordLog,
    private readonly onFenced: (key: RecordKey) => void,
  ) {}

  async append(key: RecordKey, update: Uint8Array): Promise<LogPosition> {
    try {
      return await this.inner.append(key, update);
    } catch (err) {
      if (err instanceof RecordLogError && err.reason === "fenced") this.onFenced(key);
      throw err;
    }
  }

  prepare(key: RecordKey): void {
    this.inner.prepare?.(key);
  }

  read(key: RecordKey, after?: LogPosition): Promise<LogEntry[]> {
    return this.inner.read(key, after);
  }

  trim(key: RecordKey, upTo: LogPosition): Promise<void> {
    return this.inner.trim(key, upTo);
  }

  pending(): Promise<RecordKey[]> {
    return this.inner.pending();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
