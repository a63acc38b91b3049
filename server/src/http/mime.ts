/** MIME types of files under `DATA_DIR/media`, by extension. */
const EXTENSION_MIME: Readonly<Record<string, string>> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  mkv: "video/x-matroska",
  avi: "video/x-msvideo",
  ogv: "video/ogg",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  bmp: "image/bmp",
  tif: "image/tiff",
  tiff: "image/tiff",
  avif: "image/avif",
  svg: "image/svg+xml",
  pdf: "application/pdf",
  ply: "application/x-ply",
  pcd: "application/x-pcd",
  txt: "text/plain; charset=utf-8",
  json: "application/json",
  jsonl: "application/jsonl",
  csv: "text/csv; charset=utf-8",
  mp3: "audio/mpeg",
  wav: "audio/wav",
};

/** MIME type of a media file from its extension; unknown ones are served as opaque bytes. */
export function mimeFromPath(path: string): string {
  const dot = path.lastIndexOf(".");
  const ext = dot >= 0 ? path.slice(dot + 1).toLowerCase() : "";
  return EXTENSION_MIME[ext] ?? "application/octet-stream";
}
