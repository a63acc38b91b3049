import * as Y from "yjs";
import {
  observeRecordChanges,
  PERSISTENCE_ORIGIN,
  repairDoc,
  serverOrigin,
  transact,
  type DatasetSchema,
  type DocChanges,
  type Origin,
} from "@tessera/shared-crdt";
import { RoomEditError } from "./errors.js";
import { isEmptyUpdate } from "./frameIntake.js";
import { pixanoRowRules } from "./pixanoRowRules.js";

/**
 * A server-side write of a record room (REST edits, workflow edits): tried on a scratch copy of
 * the document first, checked the way client edits are, and applied to the live document only
 * when valid.
 */

/** Yjs client id used for every server-side write of one room (REST edits): one per room, never a client's. */
export function serverWriterId(doc: Y.Doc, random: () => number): number {
  let id = doc.clientID;
  while (id === doc.clientID) id = Math.floor(random() * 0x7fffffff);
  return id;
}

export interface ServerEdit<T> {
  readonly doc: Y.Doc;
  /** The room's server writer id (see {@link serverWriterId}). */
  readonly writerId: number;
  /** The dataset's schema, read when the edit changed something. */
  readonly schema: () => DatasetSchema;
  readonly recordId: string;
  readonly origin: Origin;
  readonly fn: (doc: Y.Doc) => T;
  /** Called with what the edit changed once it is in the live document (not called when it changed nothing). */
  readonly accepted: (changes: DocChanges) => void;
}

/**
 * Runs `fn` on a scratch copy of `doc` in one transaction tagged `origin`, checks the result, and
 * applies the difference to `doc` when it is valid — otherwise throws {@link RoomEditError} and
 * nothing changes. Returns `fn`'s result.
 */
export function applyServerEdit<T>({ doc, writerId, schema, recordId, origin, fn, accepted }: ServerEdit<T>): T {
  const scratch = new Y.Doc({ gc: true });
  try {
    Y.applyUpdate(scratch, Y.encodeStateAsUpdate(doc), PERSISTENCE_ORIGIN);
    // Set after the copy: Yjs re-rolls a doc's client id when a remote update advances it.
    scratch.clientID = writerId;
    let changes: DocChanges | null = null;
    const stop = observeRecordChanges(scratch, (c) => {
      if (c.origin === origin) changes = c;
    });
    const before = Y.encodeStateVector(scratch);
    let result!: T;
    try {
      transact(scratch, origin, () => {
        result = fn(scratch);
      });
    } finally {
      stop();
    }
    const found = changes as DocChanges | null;
    if (found) {
      // REST writes follow Pixano's rules (SPEC R-PIXANO): its table models, not Tessera's stricter ones.
      const current = schema();
      const rowRules = origin.source === "rest" ? pixanoRowRules(current) : undefined;
      const issues = repairDoc(scratch, current, recordId, found, serverOrigin("check"), {
        statusWritable: false,
        ...(rowRules ? { rowRules } : {}),
      });
      if (issues.length > 0) throw new RoomEditError(issues);
    }
    const diff = Y.encodeStateAsUpdate(scratch, before);
    if (!isEmptyUpdate(diff)) Y.applyUpdate(doc, diff, origin);
    if (found) accepted(found);
    return result;
  } finally {
    scratch.destroy();
  }
}
