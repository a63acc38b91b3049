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

/** JSON with sorted object keys, bytes as `{"$bytes": base64}`, `undefined` fields dropped. */
function canonicalJson(v: unknown): string {
  if (v === null || typeof v === "number" || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (v instanceof Uint8Array) return `{"$bytes":${JSON.stringify(Buffer.from(v).toString("base64"))}}`;
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonicalJson(x))).join(",")}]`;
  if (typeof v === "bigint") return v.toString(); // int64 (S-INT64): same text as the equal number
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => compareIds(a, b));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return "null";
}
