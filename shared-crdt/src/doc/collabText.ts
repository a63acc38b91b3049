import * as Y from "yjs";
import { TABLES, type ComponentTable } from "../schema/tables.js";

/**
 * Collaborative text columns (SPEC D-TEXT): a column its kind declares `collaborative`
 * (`messages.content`) is stored in a record document as a `Y.Text` holding plain text, so two
 * people editing one question at once both keep their text. Everything outside the document sees
 * a string: reads turn the `Y.Text` into its text, writes of a string create the `Y.Text`, patches
 * apply the smallest edit (common prefix and suffix kept) to the `Y.Text` already there. A string
 * stored before the rule still reads as itself; the next patch of the cell upgrades it.
 */

const byTable = new Map<ComponentTable, ReadonlySet<string>>();

/** The collaborative columns of a table (its kind's declaration; custom fields never are). */
function collaborativeColumns(table: ComponentTable): ReadonlySet<string> {
  let s = byTable.get(table);
  if (!s) {
    s = new Set(TABLES[table].columns.filter((c) => c.collaborative === true).map((c) => c.name));
    byTable.set(table, s);
  }
  return s;
}

export function isCollaborative(table: ComponentTable, field: string): boolean {
  return collaborativeColumns(table).has(field);
}

/**
 * The text of a `Y.Text` made only of text, or `null` when it holds anything else (formatting
 * attributes, embeds, nested types): such a cell is not a valid value of the column, and validation
 * (D-VALID) sees it as it is, not as a string.
 */
function plainText(t: Y.Text): string | null {
  let out = "";
  for (let item = t._start; item !== null; item = item.right) {
    if (item.deleted) continue;
    if (!(item.content instanceof Y.ContentString)) return null;
    out += item.content.str;
  }
  return out;
}

/** A stored cell as rows carry it: a plain-text `Y.Text` of a collaborative column reads as its string. */
export function cellOut(table: ComponentTable, field: string, value: unknown): unknown {
  if (!(value instanceof Y.Text) || !isCollaborative(table, field)) return value;
  return plainText(value) ?? value;
}

/** A value as a document stores it: a string of a collaborative column becomes a new `Y.Text`. */
export function cellIn(table: ComponentTable, field: string, value: unknown): unknown {
  return typeof value === "string" && isCollaborative(table, field) ? new Y.Text(value) : value;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * The smallest single edit from `from` to `to`: keep the longest common prefix and suffix (in
 * UTF-16 units, never splitting a surrogate pair), delete what lies between in `from`, insert what
 * lies between in `to`.
 */
export function textEdit(from: string, to: string): { index: number; remove: number; insert: string } {
  const max = Math.min(from.length, to.length);
  let p = 0;
  while (p < max && from.charCodeAt(p) === to.charCodeAt(p)) p++;
  if (p > 0 && isHigh(from.charCodeAt(p - 1))) p--;
  let s = 0;
  while (s < max - p && from.charCodeAt(from.length - 1 - s) === to.charCodeAt(to.length - 1 - s)) s++;
  if (s > 0 && isLow(from.charCodeAt(from.length - s))) s--;
  return { index: p, remove: from.length - p - s, insert: to.slice(p, to.length - s) };
}

/** Changes a `Y.Text` to `next` by the smallest edit, so concurrent edits of other parts survive. Call inside a transaction. */
export function applyTextEdit(t: Y.Text, next: string): void {
  const { index, remove, insert } = textEdit(t.toString(), next);
  if (remove > 0) t.delete(index, remove);
  if (insert !== "") t.insert(index, insert);
}

/**
 * The text a `Y.Text` had before transaction `tr`, read from its items while the transaction's
 * observers run (deleted content is still there then): items `tr` added are left out, items it
 * deleted put back.
 */
export function textBefore(t: Y.Text, tr: Y.Transaction): string {
  let out = "";
  for (let item = t._start; item !== null; item = item.right) {
    const added = item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0);
    if (added) continue;
    if (item.deleted && !Y.isDeleted(tr.deleteSet, item.id)) continue;
    if (item.content instanceof Y.ContentString) out += item.content.str;
  }
  return out;
}
