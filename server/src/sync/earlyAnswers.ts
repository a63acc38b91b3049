import { encodeSyncFrame, SyncType } from "@tessera/shared-crdt";
import type { Connection } from "./Connection.js";

/**
 * Joiners of a loading record answered before the load ends: once the loader knows the whole state
 * as bytes (a snapshot with nothing on top, or a record's first document built from its rows, whose
 * first snapshot is still being saved), a waiting connection whose first frame is an empty step 1
 * gets those bytes as its step 2. The room, and with it every edit, exists only once the load ends.
 */
export class EarlyAnswers {
  private readonly waiting = new Set<Connection>();
  /** The step-2 frame, from the moment the loader told the state until the load ended. */
  private frame: Uint8Array | null = null;
  private state: Uint8Array | null = null;
  /** Connections answered so, with the bytes they got (until they join the room). */
  private readonly answered = new Map<Connection, Uint8Array>();

  /** The loader knows the whole state: the waiting connections that can be answered are, now. */
  tell(state: Uint8Array): void {
    this.state = state;
    this.frame = encodeSyncFrame(SyncType.step2, state);
    for (const conn of this.waiting) this.answer(conn);
  }

  /** The load ended, either way: nobody more is answered early. */
  settle(): void {
    this.frame = null;
    this.state = null;
    this.waiting.clear();
  }

  /** `conn` waits for the load: answered now if it can be, else when its empty step 1 arrives. */
  wait(conn: Connection): void {
    this.waiting.add(conn);
    this.answer(conn);
    // Its empty step 1 may come after the loader told the state (a first load answers before its save).
    if (!this.answered.has(conn)) conn.whileLoading(() => this.answer(conn));
  }

  /** The bytes `conn` was answered with (null: none); forgets it. */
  take(conn: Connection): Uint8Array | null {
    const state = this.answered.get(conn) ?? null;
    this.answered.delete(conn);
    return state;
  }

  private answer(conn: Connection): void {
    if (this.answered.has(conn)) return;
    if (this.frame && this.state && conn.answerStep1Early(this.frame)) this.answered.set(conn, this.state);
  }
}
