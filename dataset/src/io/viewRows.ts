import path from "node:path";
import type { NewRow, Row, ViewTable } from "@tessera/shared-crdt";
import type { SourceLocation } from "./errors.js";
import { isRemoteUri, makeThumbnail, probeImage, readMedia } from "./media.js";

/**
 * View rows as Pixano's importers build them: local images embedded in `raw_bytes` with their
 * size, Pillow format and 64×64 PNG thumbnail; remote URIs kept verbatim with nothing probed.
 */
/** A view row as an importer builds it: the columns it sets (validation fills the rest), with its id. */
export type BuiltView<T extends ViewTable> = NewRow<T> & { id: string };

export interface ImageRowInput {
  readonly id: string;
  readonly recordId: string;
  readonly logicalName: string;
  /** A local path (resolved by the caller) or an `http(s)://` / `s3://` URI. */
  readonly media: string;
  readonly where: SourceLocation;
  readonly preview: boolean;
  /** Sizes declared by the source, used for remote media. */
  readonly width?: number;
  readonly height?: number;
}

/**
 * Image rows whose thumbnail is still to be made. A reader only marks them: the importer makes
 * the thumbnails of a whole batch at once, several at a time ({@link makeThumbnails}), in the
 * write stage that runs while the next batch is read, instead of one await per image on the read
 * path. Weak: a row dropped (dry run) takes its mark with it.
 */
const thumbnailWanted = new WeakSet<object>();

/** Whether `row` (a view row a reader built) is to get a thumbnail of its `raw_bytes`. */
export function wantsThumbnail(row: object): boolean {
  return thumbnailWanted.has(row);
}

/** Carries the thumbnail request over to a copy of the row (the importer's checked row). */
export function markThumbnail(row: object): void {
  thumbnailWanted.add(row);
}

/**
 * Makes the thumbnails of the marked rows among `rows` (Pixano's 64×64 PNG, `preview_format`
 * "png"; none for undecodable bytes), `concurrency` at a time: the decoding runs on libvips'
 * threads, so this keeps every core busy without blocking the JS thread.
 */
export async function makeThumbnails(rows: readonly Row[], concurrency: number): Promise<number> {
  const todo = rows.filter((r) => thumbnailWanted.has(r));
  let next = 0;
  let made = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const row = todo[next++]!;
      thumbnailWanted.delete(row);
      const bytes = row.raw_bytes;
      if (!(bytes instanceof Uint8Array) || bytes.length === 0) continue;
      const preview = await makeThumbnail(bytes);
      if (!preview) continue;
      row.preview = preview;
      row.preview_format = "png";
      made++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, todo.length)) }, worker));
  return made;
}

export async function imageRow(input: ImageRowInput): Promise<BuiltView<"images">> {
  const base = { id: input.id, record_id: input.recordId, logical_name: input.logicalName };
  if (isRemoteUri(input.media)) {
    return {
      ...base,
      uri: input.media,
      width: input.width ?? 0,
      height: input.height ?? 0,
      format: path.extname(new URL(input.media).pathname).slice(1).toUpperCase(),
    };
  }
  const bytes = await readMedia(input.media, input.where);
  const probe = await probeImage(bytes, input.where);
  const row: BuiltView<"images"> = {
    ...base,
    uri: "",
    raw_bytes: bytes,
    width: probe.width,
    height: probe.height,
    format: probe.format,
  };
  if (input.preview) thumbnailWanted.add(row);
  return row;
}

export async function frameRow(
  input: ImageRowInput & { frameIndex: number; timestamp: number },
): Promise<BuiltView<"sequence_frames">> {
  const image = await imageRow(input);
  const row = { ...image, frame_index: input.frameIndex, timestamp: input.timestamp };
  if (thumbnailWanted.has(image)) thumbnailWanted.add(row);
  return row;
}

export function textRow(
  id: string,
  recordId: string,
  logicalName: string,
  content: string,
  uri = "",
): BuiltView<"texts"> {
  return { id, record_id: recordId, logical_name: logicalName, uri, content };
}
