import { makePreview } from "@tessera/dataset";
import sharp from "sharp";

/**
 * Rasterises demo SVG scenes with sharp (librsvg) and derives what Pixano stores with an image:
 * the encoded bytes, the PIL format name and the `preview` thumbnail (the dataset library's
 * `makePreview`: PNG fitting in 64×64 with the aspect kept, 320×240 → 64×48, as Pixano does).
 */
export type ImageFormat = "JPEG" | "PNG";

export interface RenderedImage {
  readonly bytes: Uint8Array;
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  readonly preview: Uint8Array;
}

export async function renderSvg(svg: string, format: ImageFormat): Promise<RenderedImage> {
  const base = sharp(Buffer.from(svg));
  const encoded = format === "JPEG" ? base.jpeg({ quality: 82 }) : base.png({ compressionLevel: 9 });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  const bytes = new Uint8Array(data);
  const preview = await makePreview(bytes);
  return { bytes, format, width: info.width, height: info.height, preview: preview.bytes };
}

/** The `images` row of a rendered image embedded in record `recordId` (view `image`, id `<record>_image`). */
export function embeddedImageRow(recordId: string, img: RenderedImage): Record<string, unknown> {
  return {
    id: `${recordId}_image`,
    record_id: recordId,
    logical_name: "image",
    uri: "",
    raw_bytes: img.bytes,
    preview: img.preview,
    preview_format: "png",
    width: img.width,
    height: img.height,
    format: img.format,
  };
}
