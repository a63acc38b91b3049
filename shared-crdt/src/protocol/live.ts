import type { ReviewPin, ReviewThread } from "../api/review.js";
import type { NamedAction, Role, WorkflowAction } from "../doc/workflow.js";
import type { LiveJob } from "./trackJob.js";

/**
 * The live channel (socket.io namespace `/live`, one room per dataset; SPEC "Live channel (L)"): presence, follow,
 * record status changes and the activity feed. Both ends and the load-test bots use these maps:
 * `Server<LiveClientToServer, LiveServerToClient>` and `Socket<LiveServerToClient, LiveClientToServer>`.
 */
export const LIVE_NAMESPACE = "/live";
export const LIVE_PROTOCOL_VERSION = 1;

export interface LiveUser {
  readonly id: string;
  readonly name: string;
  readonly color: string;
  readonly role: Role;
}

/** Where a person is and what they are doing (changes a few times a minute, not per frame). */
export interface Presence {
  readonly user: LiveUser;
  /** One id per connection (a person may have two tabs). */
  readonly connectionId: string;
  readonly recordId: string | null;
  readonly tool: string | null;
  readonly frame: number | null;
  /** Whom this connection follows (a user id), if anyone. */
  readonly following: string | null;
  readonly since: string;
}

export interface StatusChange {
  readonly datasetId: string;
  readonly recordId: string;
  /** Stored statuses: one of the four workflow values, or any other (SPEC W7). */
  readonly from: string;
  readonly to: string;
  readonly action: WorkflowAction;
  readonly by: LiveUser;
  readonly comment: string;
  readonly at: string;
}

/** One entry per edit batch (a person's edits of one record, coalesced) and per status transition. */
export interface ActivityEntry {
  readonly id: string;
  readonly datasetId: string;
  readonly recordId: string;
  readonly kind: "edit" | "status" | "review";
  readonly user: LiveUser;
  readonly at: string;
  /** Edit batches: rows touched per table (added/updated/removed counts). */
  readonly tables?: Record<string, { added: number; updated: number; removed: number }>;
  /** Edit batches: when the batch's last edit was made (`at` is its first; SPEC D-TIME). Absent in older feeds. */
  readonly until?: string;
  /** Status entries: the transition. */
  readonly status?: { from: string; to: string; action: WorkflowAction; comment: string };
  /** Review entries (SPEC RV8): a thread opened, answered, resolved or reopened; `text` is the message added, if any. */
  readonly review?: { threadId: string; change: ReviewThreadChange; text: string; pinned: boolean };
}

/** What happened to a review thread (SPEC RV8). */
export type ReviewThreadChange = "opened" | "replied" | "resolved" | "reopened";

export type LiveAck<T> = (reply: { ok: true; value: T } | { ok: false; error: string; reason?: string }) => void;

export interface LiveClientToServer {
  /** The connection's record, tool and frame changed. */
  "presence:update": (p: { recordId: string | null; tool?: string | null; frame?: number | null }) => void;
  /** Start following a user (their record changes reach you as `follow:moved`); `null` stops. */
  "follow:set": (p: { userId: string | null }, ack: LiveAck<{ recordId: string | null }>) => void;
  /** A named workflow action on a record (edit = start, submit, approve, reject with comment, reopen). */
  "record:transition": (
    p: { recordId: string; action: NamedAction; comment?: string; pin?: ReviewPin | null },
    ack: LiveAck<StatusChange>,
  ) => void;
  /**
   * Review threads (SPEC RV): open one on a record (optionally pinned), answer one, resolve or reopen one — the
   * REST routes' rules and limits, with this connection's identity (guests included). Acks carry the thread.
   */
  "review:open": (p: { recordId: string; text: string; pin?: ReviewPin | null }, ack: LiveAck<ReviewThread>) => void;
  "review:reply": (p: { recordId: string; threadId: string; text: string }, ack: LiveAck<ReviewThread>) => void;
  "review:resolve": (p: { recordId: string; threadId: string; resolved: boolean }, ack: LiveAck<ReviewThread>) => void;
  /** Recent activity of the dataset, or of one record. */
  "activity:list": (p: { recordId?: string; limit?: number }, ack: LiveAck<ActivityEntry[]>) => void;
}

export interface LiveServerToClient {
  hello: (p: { protocol: number; you: LiveUser; connectionId: string; presence: Presence[] }) => void;
  "presence:changed": (p: Presence) => void;
  "presence:left": (p: { connectionId: string; userId: string }) => void;
  /** The person you follow opened another record. */
  "follow:moved": (p: { leader: LiveUser; recordId: string | null }) => void;
  /** The person you follow left the dataset: following stopped. */
  "follow:ended": (p: { leader: LiveUser; reason: "left" }) => void;
  "record:status": (p: StatusChange) => void;
  activity: (p: ActivityEntry) => void;
  /** A review thread of a record in this dataset was opened, answered, resolved or reopened (SPEC RV8). */
  "review:thread": (p: { thread: ReviewThread; change: ReviewThreadChange; by: { id: string; name: string } }) => void;
  /** Records of this dataset were assigned or unassigned, or its assignment was locked or unlocked (SPEC AS7). */
  "assign:changed": (p: AssignChange) => void;
  /** A pre-annotation job or a tracking run on this dataset was created, progressed or ended (SPEC INF-PREANN). */
  "job:progress": (p: LiveJob) => void;
}

/** What an `assign:changed` event says: the explorer refetches what it shows of these records. */
export interface AssignChange {
  readonly change: "assigned" | "unassigned" | "locked" | "unlocked";
  /** The records whose assignment changed (empty for a lock change). */
  readonly record_ids: readonly string[];
  readonly by: { readonly id: string; readonly name: string };
}

/** Handshake `auth` payload (until accounts exist, identity is a display name; see server identify hook). */
export interface LiveHandshake {
  datasetId: string;
  name?: string;
  role?: Role;
}
