import path from "node:path";
import type { NewRow, ViewTable } from "@tessera/shared-crdt";
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
  if (input.preview) {
    const preview = await makeThumbnail(bytes);
    if (preview) {
      row.preview = preview;
      row.preview_format = "png";
    }
  }
  return row;
}

export async function frameRow(
  input: ImageRowInput & { frameIndex: number; timestamp: number },
): Promise<BuiltView<"sequence_frames">> {
  return { ...(await imageRow(input)), frame_index: input.frameIndex, timestamp: input.timestamp };
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
