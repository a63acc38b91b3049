import { createHash } from "node:crypto";
import { COMPONENT_TABLES, RECORD_COLUMNS_OUTSIDE_DOC, type RecordRows, type Row } from "@tessera/shared-crdt";

/**
 * A stable digest of a record's rows: tables in name order, rows in id order, keys sorted, the
 * record's `created_at`/`updated_at` left out (the persist worker bumps them), empty tables
 * omitted. Stored with each snapshot to notice rows changed behind the server's back.
 */
export function rowsDigest(rows: RecordRows): string {
  return createHash("sha1").update(canonicalRows(rows)).digest("hex");
}

/** The canonical text the digest hashes (exported for tests and diagnostics). */
export function canonicalRows(rows: RecordRows): string {
  const record: Row = {};
  for (const [k, v] of Object.entries(rows.record)) if (!RECORD_COLUMNS_OUTSIDE_DOC.has(k)) record[k] = v;
  const tables: Array<[string, Row[]]> = [];
  for (const t of [...COMPONENT_TABLES].sort()) {
    const list = rows.tables[t];
    if (!list || list.length === 0) continue;
    tables.push([t, [...list].sort((a, b) => compareIds(String(a.id), String(b.id)))]);
  }
  return canonicalJson({ record, tables });
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * JSON with sorted object keys, bytes as `{"$bytes": base64}`, `undefined` fields dropped. Written
 * into one list of parts joined once (a first load hashes its whole record with it, after its
 * joiners were answered but on the thread every other load shares).
 */
function canonicalJson(v: unknown): string {
  const out: string[] = [];
  writeCanonical(v, out);
  return out.join("");
}

function writeCanonical(v: unknown, out: string[]): void {
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
      out.push(JSON.stringify(v));
      return;
    case "bigint":
      out.push(v.toString()); // int64 (S-INT64): same text as the equal number
      return;
    case "object":
      break;
    default:
      out.push("null");
      return;
  }
  if (v === null) {
    out.push("null");
    return;
  }
  if (v instanceof Uint8Array) {
    out.push(`{"$bytes":${JSON.stringify(Buffer.from(v).toString("base64"))}}`);
    return;
  }
  if (Array.isArray(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(",");
      const x: unknown = v[i];
      if (x === undefined) out.push("null");
      else writeCanonical(x, out);
    }
    out.push("]");
    return;
  }
  const obj = v as Record<string, unknown>;
  // The default sort orders strings by UTF-16 code units, as `<` does.
  const keys = Object.keys(obj).sort();
  out.push("{");
  let first = true;
  for (const k of keys) {
    const x = obj[k];
    if (x === undefined) continue;
    if (!first) out.push(",");
    first = false;
    out.push(JSON.stringify(k), ":");
    writeCanonical(x, out);
  }
  out.push("}");
}
