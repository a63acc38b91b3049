import * as Y from "yjs";
import type { ValidationIssue } from "@tessera/shared-crdt";
import type { Connection } from "./Connection.js";

/**
 * What a record room gathers while it handles one intake batch of a connection (see
 * `ClientIntake.receiveBatch`): the document updates the batch caused, appended and relayed once at
 * its end, and the sender's content to confirm once that append is durable.
 */

/** Content frames applied as one transaction at most (they are collected before being applied). */
export const MAX_RUN_FRAMES = 256;
/** Document updates (or confirmations) one intake batch gathers at most before it ends (endBatch merges them). */
export const MAX_BATCH_UPDATES = 64;

/**
 * A batch whose updates are at most this many, one of them the sender's (its edit, its W1, a
 * repair), appends and relays them one by one; otherwise they are merged into one.
 */
export const MAX_UNMERGED_UPDATES = 4;

/** What one intake batch of a connection caused, appended and relayed once at its end. */
export interface IntakeBatch {
  readonly conn: Connection;
  /** Every document update of the batch (client and server origin), in order. */
  readonly all: Uint8Array[];
  /** The ones not from the sender (repairs, W1), which it gets at once. */
  readonly forSender: Uint8Array[];
  /** The sender's content (as applied) and how many frames it stands for, to echo and confirm once the batch's append is durable. */
  readonly confirm: Array<{ readonly update: Uint8Array; readonly frames: number }>;
}

/** One update equivalent to `updates` (non-empty; kept short by the bounds above: merging is superlinear). */
export function mergeAll(updates: readonly Uint8Array[]): Uint8Array {
  return updates.length === 1 ? updates[0]! : Y.mergeUpdates([...updates]);
}

/** Issues grouped by what they are about: the record (`record.…`) or one row (`table[id]…`). */
export function issuesByTarget(issues: readonly ValidationIssue[]): ValidationIssue[][] {
  const groups = new Map<string, ValidationIssue[]>();
  for (const issue of issues) {
    const target = /^[^.[]*(\[[^\]]*\])?/.exec(issue.path)?.[0] ?? issue.path;
    const g = groups.get(target);
    if (g) g.push(issue);
    else groups.set(target, [issue]);
  }
  return [...groups.values()];
}
