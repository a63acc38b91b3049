import type { ComponentTable, WorkflowAction } from "@tessera/shared-crdt";
import type { LogPosition, RecordKey } from "@tessera/storage";

/**
 * What record rooms tell the rest of the server (the live channel, the activity feed, tests).
 * Listeners run synchronously inside the room's processing: keep them cheap and never throw.
 */
interface StatusEvent extends RecordKey {
  /** Stored statuses: a workflow value or any other (SPEC W7). */
  readonly from: string;
  readonly to: string;
  /** `edit` = W1, the first edit of a new record; `set` = a reviewer's or admin's direct change (W8). */
  readonly action: WorkflowAction;
  readonly userId: string;
  readonly comment: string;
}

export interface EditEvent extends RecordKey {
  readonly userId: string;
  /** `client` = a websocket session, `rest` = `RoomManager.withRecord`. */
  readonly source: "client" | "rest";
  readonly sessionId: string | null;
  readonly tables: readonly ComponentTable[];
  /** Rows added, updated and removed per table. */
  readonly counts: Readonly<Record<string, { added: number; updated: number; removed: number }>>;
  readonly recordFields: readonly string[];
}

export interface PresenceEvent extends RecordKey {
  readonly sessionId: string;
  readonly userId: string;
  readonly name: string;
  readonly role: string;
  readonly readOnly: boolean;
}

interface FlushedEvent extends RecordKey {
  readonly upTo: LogPosition;
}

export interface RoomEvents {
  status: StatusEvent;
  edit: EditEvent;
  join: PresenceEvent;
  leave: PresenceEvent;
  loaded: RecordKey;
  flushed: FlushedEvent;
  unloaded: RecordKey;
}

export type RoomEventName = keyof RoomEvents;
export type EmitRoomEvent = <K extends RoomEventName>(event: K, payload: RoomEvents[K]) => void;
