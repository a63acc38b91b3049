import sharp from "sharp";
import { isResizedImage, type ImageInput, type ResizedImage } from "@tessera/shared-crdt";

/** An image file the worker was sent could not be decoded (its bytes, not the model). */
export class ImageDecodeError extends Error {
  override name = "ImageDecodeError";
}

/**
 * The pixels of a request's picture: as sent, or its file decoded here and stretched to the size
 * the server chose (alpha flattened onto black, sRGB) — the same pixels the server's own decode
 * made before the files came here (`images.ts` in the protocol says why).
 */
export async function pixelsOf(input: ImageInput): Promise<ResizedImage> {
  if (isResizedImage(input)) return input;
  const { width, height } = input;
  const decoded = sharp(input.encoded, { failOn: "none" })
    .resize(width, height, { fit: "fill" })
    .flatten({ background: "#000000" })
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { data, info } = await decoded.catch((err: unknown) => {
    throw new ImageDecodeError(`the image cannot be decoded: ${(err as Error).message}`);
  });
  if (info.channels !== 3 || info.width !== width || info.height !== height)
    throw new ImageDecodeError(`the image did not decode to ${width}×${height} RGB`);
  return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** A request whose picture has been decoded ({@link pixelsOf}). */
export type WithPixels<T extends { readonly image: ImageInput }> = Omit<T, "image"> & { readonly image: ResizedImage };
