import type * as Y from "yjs";
import {
  observeRecordChanges,
  repairDoc,
  serverOrigin,
  transact,
  type DatasetSchema,
  type DocChanges,
  type Origin,
} from "@tessera/shared-crdt";
import { RoomEditError } from "./errors.js";
import { pixanoRowRules } from "./pixanoRowRules.js";
import type { ServerReplica } from "./serverReplica.js";

/**
 * A server-side write of a record room (REST edits, workflow edits, jobs' writes): tried on the
 * room's warm replica of the document first (see {@link ServerReplica}), checked the way client
 * edits are, and applied to the live document only when valid.
 */

/** Yjs client id used for every server-side write of one room (REST edits): one per room, never a client's. */
export function serverWriterId(doc: Y.Doc, random: () => number): number {
  let id = doc.clientID;
  while (id === doc.clientID) id = Math.floor(random() * 0x7fffffff);
  return id;
}

export interface ServerEdit<T> {
  /** The room's replica, on which the edit is tried. */
  readonly replica: ServerReplica;
  /** The dataset's schema, read when the edit changed something. */
  readonly schema: () => DatasetSchema;
  readonly recordId: string;
  readonly origin: Origin;
  readonly fn: (doc: Y.Doc) => T;
  /** Called with what the edit changed once it is in the live document (not called when it changed nothing). */
  readonly accepted: (changes: DocChanges) => void;
}

/**
 * Runs `fn` on the room's replica in one transaction tagged `origin`, checks the result, and
 * applies what it changed (the edit and the check's follow-ups) to the live document as one update
 * when it is valid — otherwise throws {@link RoomEditError}, the replica is dropped and nothing
 * changes in the live document. Returns `fn`'s result. Costs what the edit changes, not the
 * document's size (once the replica is warm).
 */
export function applyServerEdit<T>({ replica, schema, recordId, origin, fn, accepted }: ServerEdit<T>): T {
  const { result, made, found } = replica.use((scratch) => {
    const updates: Uint8Array[] = [];
    const collect = (u: Uint8Array): void => void updates.push(u);
    scratch.on("update", collect);
    try {
      let changes: DocChanges | null = null;
      const stop = observeRecordChanges(scratch, (c) => {
        if (c.origin === origin) changes = c;
      });
      let out!: T;
      try {
        transact(scratch, origin, () => {
          out = fn(scratch);
        });
      } finally {
        stop();
      }
      const seen = changes as DocChanges | null;
      if (seen) {
        // REST writes follow Pixano's rules (SPEC R-PIXANO): its table models, not Tessera's stricter ones.
        const current = schema();
        const rowRules = origin.source === "rest" ? pixanoRowRules(current) : undefined;
        const issues = repairDoc(scratch, current, recordId, seen, serverOrigin("check"), {
          statusWritable: false,
          ...(rowRules ? { rowRules } : {}),
        });
        if (issues.length > 0) throw new RoomEditError(issues);
      }
      return { result: out, made: updates, found: seen };
    } finally {
      scratch.off("update", collect);
    }
  });
  replica.commit(made, origin);
  if (found) accepted(found);
  return result;
}
