/**
 * Pictures sent to the inference worker: decoded pixels ({@link ResizedImage}) or an image file's
 * bytes for the worker to decode and resize itself ({@link EncodedImage}). Sending the file keeps
 * the decode, the resize and the raw pixels (1.8 MB for a 1024×576 frame, against tens of KB of
 * JPEG) off the server's event loop and out of its heap: a tracking run at 10 frames/s otherwise
 * decodes, copies and frees 20–50 MB a second on the thread that relays people's edits.
 */

/** Raw interleaved RGB (3 bytes a pixel) of a view or frame resized to what the model or the job needs. */
export interface ResizedImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

/**
 * An image file's bytes (any format the worker's decoder reads: JPEG, PNG, WebP, …), decoded by the
 * worker and resized (stretched) to exactly `width` × `height`, alpha flattened onto black, sRGB.
 * The sender chooses the size by its own rule (a model's input side, a job's working side).
 */
export interface EncodedImage {
  readonly encoded: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** What a request may carry as its picture. */
export type ImageInput = ResizedImage | EncodedImage;

/** Sides of a picture the worker makes: 1…8192 pixels. */
const isSide = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 8192;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";

export function isResizedImage(v: unknown): v is ResizedImage {
  if (!isObject(v) || !isSide(v.width) || !isSide(v.height)) return false;
  return v.rgb instanceof Uint8Array && v.rgb.length === v.width * v.height * 3;
}

function isEncodedImage(v: unknown): v is EncodedImage {
  return isObject(v) && isSide(v.width) && isSide(v.height) && v.encoded instanceof Uint8Array && v.encoded.length > 0;
}

export function isImageInput(v: unknown): v is ImageInput {
  return isResizedImage(v) || isEncodedImage(v);
}
