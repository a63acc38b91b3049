import { performance } from "node:perf_hooks";
import type * as Y from "yjs";
import type { Origin } from "@tessera/shared-crdt";
import { RoomError } from "./errors.js";
import type { RecordRoom } from "./RecordRoom.js";
import type { RoomManager } from "./RoomManager.js";

/** One record's write in a {@link writeRecords} batch. */
export interface RecordWrite {
  readonly recordId: string;
  readonly fn: (doc: Y.Doc) => void;
}

export interface WriteRecordsOptions {
  /** Fold the written records into the rows before resolving (default false: their rooms' flush schedule does). */
  readonly flush?: boolean;
  /**
   * Awaited before each record's write, in order, once its room is loaded (a background job's
   * pacing: editors first). Resolving false writes no more of the batch.
   */
  readonly beforeEach?: (recordId: string) => Promise<boolean>;
  /** Told each record's write once it is in the document, with the milliseconds it held the thread. */
  readonly afterEach?: (recordId: string, ms: number) => void;
}

/**
 * Server-side writes to several records of one dataset (a model's proposals over a batch of
 * records): their rooms are held and loaded together — loads started together read their rows
 * in one query per table — then each record is written in its own transaction tagged `origin`, in
 * order, checked like any server edit (`RecordRoom.edit`). Resolves with the number of records
 * written once every one of them is durable (and folded, with `flush`). A record written before a
 * failure (a load that failed, an edit refused) stays written; the first failure is thrown once
 * the writes made are durable and every hold is released.
 */
export async function writeRecords(
  rooms: Pick<RoomManager, "hold">,
  datasetId: string,
  writes: readonly RecordWrite[],
  origin: Origin,
  options: WriteRecordsOptions = {},
): Promise<number> {
  const holds: Array<ReturnType<RoomManager["hold"]>> = [];
  try {
    for (const w of writes) holds.push(rooms.hold({ datasetId, recordId: w.recordId }));
  } catch (err) {
    // Closing, or a record being deleted: nothing written.
    for (const h of holds) h.release();
    throw err;
  }
  const userId = origin.source === "rest" ? origin.userId : origin.source;
  const written: RecordRoom[] = [];
  const durable: Array<Promise<boolean>> = [];
  let failure: { error: unknown } | null = null;
  try {
    for (const [i, w] of writes.entries()) {
      const hold = holds[i];
      if (!hold) break;
      let room: RecordRoom;
      try {
        room = await hold.ready;
        if (options.beforeEach && !(await options.beforeEach(w.recordId))) break;
        const t0 = performance.now();
        durable.push(room.edit(origin, userId, w.fn).durable);
        options.afterEach?.(w.recordId, performance.now() - t0);
      } catch (error) {
        failure = { error };
        break;
      }
      written.push(room);
    }
    if ((await Promise.all(durable)).includes(false))
      throw new RoomError("closing", "the change could not be made durable before shutdown");
    if (options.flush && (await Promise.all(written.map((r) => r.flusher.flushNow()))).includes(false))
      throw new RoomError("closing", "the change could not be flushed before shutdown");
  } finally {
    for (const h of holds) h.release();
  }
  if (failure) throw failure.error;
  return written.length;
}
