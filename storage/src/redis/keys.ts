import type { RecordKey } from "../types.js";

/**
 * Redis key names of the scaled mode (docs/ARCHITECTURE.md §6, "Keys"), in one place. A record's
 * keys carry its tag in braces, so they share a hash slot and one script may touch them together.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** The record's write-ahead log (a stream, entry ids `<pos>-1`). */
  log(key: RecordKey): string;
  /** The last position handed out for the record (INCR; never trimmed). */
  pos(key: RecordKey): string;
  /** `<processId>:<epoch>` of the process owning the record's room. */
  lease(key: RecordKey): string;
  /** Counts the record's lease acquisitions: the fencing token. */
  epoch(key: RecordKey): string;
  /** The persist worker folding (or compacting) the dataset now: one per dataset across the cluster. */
  foldDataset(datasetId: string): string;
  /** Set of record tags whose stream holds entries. */
  readonly logs: string;
  /** A live process's heartbeat. */
  proc(processId: string): string;
  /** The persist jobs stream (consumer group `persist`). */
  readonly jobs: string;
  /** The pub/sub channel a process receives its fold results on. */
  done(processId: string): string;
  /** The cluster secret that signs forwarded connections. */
  readonly secret: string;
}

/** `encodeURIComponent(datasetId) + "/" + encodeURIComponent(recordId)`: unambiguous, no braces. */
export function recordTag(key: RecordKey): string {
  return `${encodeURIComponent(key.datasetId)}/${encodeURIComponent(key.recordId)}`;
}

/** The key a {@link recordTag} names; throws `TypeError` on text that is not a tag. */
export function parseRecordTag(tag: string): RecordKey {
  const parts = tag.split("/");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") throw new TypeError(`not a record tag: ${tag}`);
  return { datasetId: decodeURIComponent(parts[0]!), recordId: decodeURIComponent(parts[1]!) };
}

export function redisKeys(prefix = "tessera:"): RedisKeys {
  const rec = (key: RecordKey, what: string) => `${prefix}{${recordTag(key)}}:${what}`;
  return {
    prefix,
    log: (key) => rec(key, "log"),
    pos: (key) => rec(key, "pos"),
    lease: (key) => rec(key, "lease"),
    epoch: (key) => rec(key, "epoch"),
    foldDataset: (datasetId) => `${prefix}fold:{${encodeURIComponent(datasetId)}}`,
    logs: `${prefix}logs`,
    proc: (processId) => `${prefix}proc:${processId}`,
    jobs: `${prefix}persist:jobs`,
    done: (processId) => `${prefix}persist:done:${processId}`,
    secret: `${prefix}cluster:secret`,
  };
}
