import type * as Y from "yjs";
import type { RecordKey } from "@tessera/storage";
import {
  CloseCode,
  deleteWithDependents,
  hasRow,
  layoutBreaches,
  serverOrigin,
  transact,
  type ComponentTable,
  type DocChanges,
  type LayoutBreach,
  type ValidationIssue,
} from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import type { Connection } from "./Connection.js";

/**
 * The rules a client update must meet beyond row validation (SPEC D-LAYOUT-ONLY, D-OWNER), as the
 * room applies them: the layout is read before the update is applied, row owners after it.
 */

/** For row ids of a table: id → `record_id` of the stored row, for those that exist in the dataset. */
export type RowOwnerLookup = (table: ComponentTable, ids: readonly string[]) => Promise<ReadonlyMap<string, string>>;

/** Counts an invalid update against the connection; true when it was closed for sending too many. */
function countInvalid(conn: Connection): boolean {
  if (!conn.noteInvalid()) return false;
  conn.close(CloseCode.tooManyInvalid, "too many invalid updates");
  return true;
}

/**
 * D-LAYOUT-ONLY, before an update is applied: the roots it writes outside the record layout (or
 * list content inside a layout map). A malformed update closes the connection (4400), as when
 * applying it fails, and gives null.
 */
export function readLayout(conn: Connection, update: Uint8Array): LayoutBreach[] | null {
  try {
    return layoutBreaches(update);
  } catch (err) {
    conn.close(CloseCode.malformedFrame, `malformed update: ${(err as Error).message}`);
    return null;
  }
}

/**
 * Tells the author its update wrote outside the layout (typed rejection `outside_layout`) and
 * counts it as invalid (4422 on repeat). Returns false when the connection was closed for it.
 */
export function reportOutsideLayout(conn: Connection, breaches: readonly LayoutBreach[], logger: Logger): boolean {
  conn.sendTessera({
    kind: "rejected",
    reason: "outside_layout",
    issues: breaches.map((b) => ({ path: b.root, message: b.message })),
  });
  logger.info("client update outside the record layout cleared", {
    ...conn.context(),
    roots: breaches.map((b) => b.root).slice(0, 10),
  });
  return !countInvalid(conn);
}

export interface ForeignRowCheck {
  readonly room: { readonly key: RecordKey; readonly doc: Y.Doc; readonly destroyed: boolean };
  readonly conn: Connection;
  readonly changes: DocChanges;
  readonly owners: RowOwnerLookup;
  readonly logger: Logger;
}

/**
 * D-OWNER, after an update was applied: rows it created whose id belongs to a row of another
 * record in the dataset are removed again (with their dependents) in one server transaction, and
 * the author is told. The lookup is asynchronous, so the update is relayed before; the persist
 * worker refuses to write such a row meanwhile (it never moves a row between records).
 */
export async function removeForeignRows({ room, conn, changes, owners, logger }: ForeignRowCheck): Promise<void> {
  const added = new Map<ComponentTable, string[]>();
  for (const [table, rows] of changes.tables) {
    const ids = [...rows].filter(([id, c]) => c.kind === "added" && hasRow(room.doc, table, id)).map(([id]) => id);
    if (ids.length > 0) added.set(table, ids);
  }
  if (added.size === 0) return;
  const foreign: Array<{ table: ComponentTable; id: string; owner: string }> = [];
  try {
    for (const [table, ids] of added) {
      const found = await owners(table, ids);
      for (const id of ids) {
        const owner = found.get(id);
        if (owner !== undefined && owner !== room.key.recordId) foreign.push({ table, id, owner });
      }
    }
  } catch (err) {
    // The rows stay in the document; the persist worker's guard still never writes them.
    logger.error("row owner lookup failed", { ...conn.context(), error: (err as Error).message });
    return;
  }
  if (foreign.length === 0 || room.destroyed) return;
  const issues: ValidationIssue[] = [];
  transact(room.doc, serverOrigin("repair:owner"), () => {
    for (const { table, id, owner } of foreign) {
      if (!hasRow(room.doc, table, id)) continue;
      deleteWithDependents(room.doc, table, [id]);
      issues.push({
        path: `${table}[${id}].id`,
        message: `belongs to record ${JSON.stringify(owner)}: a row id is unique in its table`,
      });
    }
  });
  if (issues.length === 0) return;
  conn.sendTessera({ kind: "rejected", reason: "invalid_rows", issues });
  logger.info("client rows with another record's ids removed", { ...conn.context(), issues: issues.length });
  countInvalid(conn);
}
