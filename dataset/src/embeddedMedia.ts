import type { TableName } from "@tessera/shared-crdt";
import { readRows } from "./reader.js";
import { sqlIdent, sqlString } from "./sql.js";
import type { OpenTable } from "./tableStore.js";
import type { MediaBytes } from "./types.js";

/**
 * The media a dataset stores inside its view rows: a row's embedded bytes (`raw_bytes`, `format`),
 * its stored thumbnail (`preview`, `preview_format`), and the first embedded images a dataset's
 * mosaic is made of.
 */

function byId(id: string): string {
  return `${sqlIdent("id")} = ${sqlString(id)}`;
}

/** Embedded bytes and format of a view row; null when the row does not exist or has no embedded media. */
export async function readEmbeddedMedia(t: OpenTable | null, id: string): Promise<MediaBytes | null> {
  if (!t || !t.layout.schema.columns.some((c) => c.name === "raw_bytes")) return null;
  const withFormat = t.layout.schema.columns.some((c) => c.name === "format");
  const rows = await readRows(
    t,
    { predicate: byId(id), columns: withFormat ? ["id", "raw_bytes", "format"] : ["id", "raw_bytes"], fill: [] },
    0,
    1,
  );
  const bytes = rows[0]?.raw_bytes;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return null;
  const format = rows[0]?.format;
  return { bytes, format: typeof format === "string" ? format : "" };
}

/** The stored `preview` thumbnail of a view row and its format; null when empty. */
export async function readStoredPreview(t: OpenTable | null, id: string): Promise<MediaBytes | null> {
  if (!t || !t.layout.schema.columns.some((c) => c.name === "preview")) return null;
  const rows = await readRows(t, { predicate: byId(id), columns: ["id", "preview", "preview_format"], fill: [] }, 0, 1);
  const bytes = rows[0]?.preview;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return null;
  return { bytes, format: String(rows[0]!.preview_format ?? "") };
}

/** The first (up to) 4 embedded images of the first image-like view table the dataset has. */
export async function mosaicImages(table: (name: TableName) => Promise<OpenTable | null>): Promise<Uint8Array[]> {
  for (const name of ["images", "sequence_frames"] as const) {
    const t = await table(name);
    if (!t) continue;
    const rows = await readRows(t, { predicate: null, columns: ["id", "raw_bytes"], fill: [] }, 0, 4);
    return rows.map((r) => r.raw_bytes).filter((b): b is Uint8Array => b instanceof Uint8Array && b.length > 0);
  }
  return [];
}
