import * as Y from "yjs";
import { CloseCode, decodeFrame, encodeSyncFrame, FrameError, SyncType } from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import type { AwarenessRelay } from "./awarenessRelay.js";
import type { Connection } from "./Connection.js";
import type { SyncLimits } from "./limits.js";

/**
 * A record room's answers to the y-websocket frames that carry no document content: the frame's
 * decoding (a frame too large or malformed closes its connection), sync step 1 and awareness.
 */

/** A decoded frame of a connection. */
export type Frame = ReturnType<typeof decodeFrame>;

/** The state vector of an empty document (a client joining with nothing): a varint 0, no entries. */
function isEmptyStateVector(sv: Uint8Array): boolean {
  return sv.length === 1 && sv[0] === 0;
}

/** An empty Yjs update (no structs, no deletions): what a client with nothing new sends as step 2. */
export function isEmptyUpdate(u: Uint8Array): boolean {
  return u.length === 2 && u[0] === 0 && u[1] === 0;
}

/** The session an update's origin names when a client's transaction made it, else null. */
export function sessionOf(origin: unknown): string | null {
  const o = origin as { source?: unknown; sessionId?: unknown } | null;
  return o !== null && typeof o === "object" && o.source === "client" && typeof o.sessionId === "string"
    ? o.sessionId
    : null;
}

/** The frame decoded, or null when it is over the size limit or malformed (the connection is then closed). */
export function decodeOrClose(conn: Connection, frame: Uint8Array, limits: SyncLimits): Frame | null {
  if (frame.length > limits.maxUpdateBytes) {
    conn.close(CloseCode.updateTooLarge, `frame over ${limits.maxUpdateBytes} bytes`);
    return null;
  }
  try {
    return decodeFrame(frame);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    conn.close(CloseCode.malformedFrame, err.message);
    return null;
  }
}

/**
 * Step 2 for a connection's step 1: what `doc` has beyond its state vector; for an empty state
 * vector, `fullState()` (encoded once per version of the document).
 */
export function answerStep1(conn: Connection, doc: Y.Doc, stateVector: Uint8Array, fullState: () => Uint8Array): void {
  if (isEmptyStateVector(stateVector)) {
    conn.send(fullState());
    return;
  }
  let diff: Uint8Array;
  try {
    diff = Y.encodeStateAsUpdate(doc, stateVector);
  } catch (err) {
    conn.close(CloseCode.malformedFrame, `malformed state vector: ${(err as Error).message}`);
    return;
  }
  conn.send(encodeSyncFrame(SyncType.step2, diff));
}

/** A connection's awareness update through the relay: over a cap, dropped (a state) or closed (entries, ids). */
export function applyAwareness(
  conn: Connection,
  update: Uint8Array,
  relay: AwarenessRelay,
  limits: SyncLimits,
  logger: Logger,
): void {
  try {
    const verdict = relay.apply(conn, update);
    if (verdict === "too_large") logger.warn("awareness state over the size cap dropped", conn.context());
    else if (verdict === "too_many_entries") {
      conn.close(
        CloseCode.tooManyAwarenessClients,
        `awareness frame over ${limits.maxAwarenessEntriesPerFrame} entries`,
      );
    } else if (verdict === "too_many_clients") {
      conn.close(
        CloseCode.tooManyAwarenessClients,
        `over ${limits.maxAwarenessClientsPerConnection} awareness client ids on one connection`,
      );
    }
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    conn.close(CloseCode.malformedFrame, err.message);
  }
}
