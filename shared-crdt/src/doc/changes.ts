import * as Y from "yjs";
import { COMPONENT_TABLES, type ComponentTable } from "../schema/tables.js";
import { isCollaborative, textBefore } from "./collabText.js";
import { recordMap, tableMap } from "./layout.js";

/**
 * What one transaction did to a record document, per row (SPEC D-CHANGES): rows added, rows
 * removed, and for updated rows the previous value of each changed field (`undefined` = the
 * field was absent). The server repairs invalid edits from it; the client diffs its scene from it.
 */
export interface RowChange {
  kind: "added" | "updated" | "removed";
  /** For `updated`: field → value before the transaction. */
  readonly before: Map<string, unknown>;
}

/**
 * The fields a row map held before a transaction that replaced or deleted it, read from its items
 * (their content is still there while the transaction's observers run; the doc collects it after).
 * An item deleted by an earlier transaction is a field the row no longer had.
 */
function fieldsBefore(
  table: ComponentTable,
  old: Y.Map<unknown>,
  ev: Y.YEvent<Y.AbstractType<unknown>>,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [field, item] of old._map) {
    if (item.deleted && !ev.deletes(item)) continue;
    const content: unknown[] = item.content.getContent();
    if (content.length > 0) out.set(field, valueBefore(table, field, content[content.length - 1], ev.transaction));
  }
  return out;
}

/** A field's previous value as rows carry it: a collaborative text (SPEC D-TEXT) as the string it held. */
function valueBefore(table: ComponentTable, field: string, value: unknown, tr: Y.Transaction): unknown {
  return value instanceof Y.Text && isCollaborative(table, field) ? textBefore(value, tr) : value;
}

export interface DocChanges {
  readonly tables: Map<ComponentTable, Map<string, RowChange>>;
  /** Record fields changed → previous value. */
  readonly record: Map<string, unknown>;
  readonly origin: unknown;
}

function entry(changes: DocChanges, table: ComponentTable): Map<string, RowChange> {
  let m = changes.tables.get(table);
  if (!m) {
    m = new Map();
    changes.tables.set(table, m);
  }
  return m;
}

function note(changes: DocChanges, table: ComponentTable, id: string, kind: RowChange["kind"]): RowChange {
  const m = entry(changes, table);
  const prev = m.get(id);
  if (!prev) {
    const c: RowChange = { kind, before: new Map() };
    m.set(id, c);
    return c;
  }
  // Yjs reports each key once per transaction against the state before it, so only a row replaced
  // whole ("removed" then "added" under one id) needs merging.
  if (kind !== "updated") prev.kind = kind === "added" && prev.kind === "removed" ? "updated" : kind;
  return prev;
}

/**
 * Calls `listener` once per transaction that changed the record or a component table. Returns the
 * function that stops observing.
 */
export function observeRecordChanges(
  doc: Y.Doc,
  listener: (changes: DocChanges, tr: Y.Transaction) => void,
): () => void {
  let pending: DocChanges | null = null;
  const current = (tr: Y.Transaction): DocChanges =>
    (pending ??= { tables: new Map(), record: new Map(), origin: tr.origin });

  const onTable = (table: ComponentTable) => (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, tr: Y.Transaction) => {
    const changes = current(tr);
    for (const ev of events) {
      if (ev.target === tableMap(doc, table)) {
        for (const [id, change] of (ev as Y.YMapEvent<unknown>).changes.keys) {
          const rc = note(
            changes,
            table,
            id,
            change.action === "delete" ? "removed" : change.action === "add" ? "added" : "updated",
          );
          // A row replaced whole under its id: every field it had (or lacked) is a changed field.
          if (change.action === "update" && change.oldValue instanceof Y.Map) {
            const old = fieldsBefore(table, change.oldValue as Y.Map<unknown>, ev);
            const now = tableMap(doc, table).get(id);
            const fields = new Set([...old.keys(), ...(now instanceof Y.Map ? now.keys() : [])]);
            for (const f of fields) if (!rc.before.has(f)) rc.before.set(f, old.get(f));
          }
        }
      } else if (ev.target instanceof Y.Map && ev.target.parent === tableMap(doc, table)) {
        const id = ev.path[0];
        if (typeof id !== "string") continue;
        const rc = note(changes, table, id, "updated");
        for (const [field, change] of (ev as Y.YMapEvent<unknown>).changes.keys) {
          if (!rc.before.has(field))
            rc.before.set(field, change.action === "add" ? undefined : valueBefore(table, field, change.oldValue, tr));
        }
      } else if (ev.target instanceof Y.Text && ev.target.parent?.parent === tableMap(doc, table)) {
        // An edit inside a row's text (SPEC D-TEXT): the row changed that field.
        const [id, field] = ev.path;
        if (typeof id !== "string" || typeof field !== "string") continue;
        const rc = note(changes, table, id, "updated");
        if (!rc.before.has(field)) rc.before.set(field, textBefore(ev.target, tr));
      }
    }
  };
  const unobserve: Array<() => void> = [];
  for (const table of COMPONENT_TABLES) {
    const fn = onTable(table);
    tableMap(doc, table).observeDeep(fn);
    unobserve.push(() => tableMap(doc, table).unobserveDeep(fn));
  }
  const onRecord = (ev: Y.YMapEvent<unknown>, tr: Y.Transaction) => {
    const changes = current(tr);
    for (const [field, change] of ev.changes.keys) {
      if (!changes.record.has(field)) changes.record.set(field, change.action === "add" ? undefined : change.oldValue);
    }
  };
  recordMap(doc).observe(onRecord);
  unobserve.push(() => recordMap(doc).unobserve(onRecord));
  const after = (tr: Y.Transaction) => {
    const done = pending;
    pending = null;
    if (done && (done.tables.size > 0 || done.record.size > 0)) listener(done, tr);
  };
  doc.on("afterTransaction", after);
  unobserve.push(() => doc.off("afterTransaction", after));
  return () => unobserve.forEach((f) => f());
}
