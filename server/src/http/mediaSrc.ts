import path from "node:path";

/**
 * The `src` a client can load for a view whose bytes are not embedded. Pixano returns `uri`
 * verbatim, which only works for `http(s)` media; Tessera serves `DATA_DIR/media`, so relative URIs
 * (and absolute ones inside the media folder) become `/media/<path>` URLs.
 */
export function mediaSrc(uri: string, mediaDir: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) && !/^[A-Za-z]:[\\/]/.test(uri)) return uri;
  let rel: string;
  if (path.isAbsolute(uri)) {
    rel = path.relative(mediaDir, uri);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return uri;
  } else {
    rel = path.posix.normalize(uri.replace(/\\/g, "/"));
    if (rel === "." || rel.startsWith("../") || rel === "..") return uri;
  }
  return `/media/${rel
    .split(/[\\/]/)
    .filter((s) => s !== "" && s !== ".")
    .map(encodeURIComponent)
    .join("/")}`;
}
