import sharp from "sharp";

/** Thumbnail sizes `?size=` accepts (Pixano 0.8 `PREVIEW_SIZES`). */
export const PREVIEW_SIZES = [128, 256, 512] as const;

/**
 * A `size`-bounded JPEG (quality 85) of an image, aspect kept and never enlarged — what Pillow's
 * `thumbnail` + `save(JPEG)` gives in Pixano. Null when the bytes are not a decodable image.
 */
export async function jpegThumbnail(bytes: Uint8Array, size: number): Promise<Uint8Array | null> {
  try {
    const out = await sharp(bytes, { failOn: "none" })
      .rotate()
      .resize(size, size, { fit: "inside", withoutEnlargement: true })
      .flatten({ background: "#000000" })
      .jpeg({ quality: 85 })
      .toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    // Undecodable media is a normal case (PDF, point cloud, corrupt file): the caller falls back
    // to the stored preview, exactly as Pixano does.
    if (err instanceof Error) return null;
    throw err;
  }
}
