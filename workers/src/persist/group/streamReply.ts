/**
 * Reads Redis stream replies (RESP2 arrays, as ioredis returns them from `call`) into entries, checking
 * their shape: what Redis sends is data from outside this process.
 */
export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly string[];
}

class StreamReplyError extends Error {
  override name = "StreamReplyError";
}

function entriesOf(v: unknown): StreamEntry[] {
  if (!Array.isArray(v)) throw new StreamReplyError("stream entries: expected an array");
  const out: StreamEntry[] = [];
  for (const item of v as unknown[]) {
    if (!Array.isArray(item) || typeof item[0] !== "string") throw new StreamReplyError("stream entry: bad shape");
    const fields: unknown = item[1];
    // XAUTOCLAIM and XREADGROUP report an entry deleted meanwhile with null fields.
    if (fields === null) {
      out.push({ id: item[0], fields: [] });
      continue;
    }
    if (!Array.isArray(fields) || !fields.every((f): f is string => typeof f === "string"))
      throw new StreamReplyError("stream entry fields: expected strings");
    out.push({ id: item[0], fields });
  }
  return out;
}

/**
 * `XREADGROUP … STREAMS key >`: the entries (none on a timeout). RESP2 answers an array of
 * `[key, entries]` pairs; RESP3 (ioredis's default protocol with Redis ≥ 6) a map, which arrives
 * flattened as `key, entries, key, entries…`.
 */
export function readGroupEntries(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  if (!Array.isArray(reply)) throw new StreamReplyError("XREADGROUP: expected an array");
  const items = reply as unknown[];
  const out: StreamEntry[] = [];
  if (typeof items[0] === "string") {
    if (items.length % 2 !== 0) throw new StreamReplyError("XREADGROUP: odd map");
    for (let i = 1; i < items.length; i += 2) out.push(...entriesOf(items[i]));
    return out;
  }
  for (const stream of items) {
    if (!Array.isArray(stream) || stream.length !== 2) throw new StreamReplyError("XREADGROUP: bad stream shape");
    out.push(...entriesOf(stream[1]));
  }
  return out;
}

/** `XAUTOCLAIM`: the next cursor and the entries claimed. */
export function autoClaimEntries(reply: unknown): { cursor: string; entries: StreamEntry[] } {
  if (!Array.isArray(reply) || typeof reply[0] !== "string") throw new StreamReplyError("XAUTOCLAIM: bad shape");
  return { cursor: reply[0], entries: entriesOf(reply[1]) };
}

/** `XRANGE`: the entries. */
export function rangeEntries(reply: unknown): StreamEntry[] {
  return entriesOf(reply);
}
