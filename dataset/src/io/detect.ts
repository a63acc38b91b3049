import { promises as fs } from "node:fs";
import path from "node:path";
import { ImportError } from "./errors.js";
import { isDirectory, isFile, isImageFile, listFilesRecursive } from "./media.js";
import type { ImportFormat, ReaderOptions, SourceReader } from "./source.js";
import { findAnnotationFiles } from "./coco/document.js";
import { openCoco } from "./coco/reader.js";
import { openV1 } from "./v1/reader.js";
import { HEADER_KEY } from "./v2/grammar.js";
import { openJsonlV2 } from "./v2/reader.js";

/**
 * `--format auto`: `dataset.yaml` or a `$pixano` header → JSONL v2; a `<split>/metadata.jsonl`
 * whose first line reads as v2 (only v2 keys, `views` an object, annotations as lists) → JSONL
 * v2; any other `metadata.jsonl` → the 0.7 v1 dialect; `instances_<split>.json` at the root or
 * under `annotations/` → COCO; image files without metadata → media-only.
 */
export type FormatOption = "auto" | ImportFormat;
export const FORMATS: readonly FormatOption[] = ["auto", "pixano_v1", "pixano_jsonl", "media", "coco"];

const V2_KEYS = new Set(["id", "split", "attrs", "views", "entities", "conversations", "annotation_files"]);

async function firstLine(file: string): Promise<unknown> {
  const text = await fs.readFile(file, "utf8");
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    try {
      return JSON.parse(line);
    } catch (err) {
      // Not JSON: the reader chosen below reports it with its line number.
      void err;
      return undefined;
    }
  }
  return undefined;
}

function looksV2(line: unknown): boolean {
  if (line === null || typeof line !== "object" || Array.isArray(line)) return false;
  const o = line as Record<string, unknown>;
  if (HEADER_KEY in o) return true;
  if (!Object.keys(o).every((k) => V2_KEYS.has(k))) return false;
  if (o.views === null || typeof o.views !== "object" || Array.isArray(o.views)) return false;
  const entities = Array.isArray(o.entities) ? o.entities : [];
  return entities.every(
    (e) =>
      e !== null &&
      typeof e === "object" &&
      (!("annotations" in e) || Array.isArray((e as { annotations: unknown }).annotations)),
  );
}

export async function detectFormat(sourceDir: string): Promise<ImportFormat> {
  if (!(await isDirectory(sourceDir))) throw new ImportError("invalid_spec", `source folder not found: ${sourceDir}`);
  if (await isFile(path.join(sourceDir, "dataset.yaml"))) return "pixano_jsonl";
  const entries = (await fs.readdir(sourceDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  for (const split of entries) {
    const meta = path.join(sourceDir, split, "metadata.jsonl");
    if (await isFile(meta)) return looksV2(await firstLine(meta)) ? "pixano_jsonl" : "pixano_v1";
  }
  if ((await findAnnotationFiles(sourceDir)).length > 0) return "coco";
  if ((await listFilesRecursive(sourceDir)).some(isImageFile)) return "media";
  throw new ImportError(
    "unknown_format",
    "cannot tell the format: no dataset.yaml, no <split>/metadata.jsonl, no instances_*.json and no image file",
    { file: sourceDir },
  );
}

/** Opens `sourceDir` with the reader of `format` (detected when `auto`). */
export async function openSource(
  sourceDir: string,
  format: FormatOption = "auto",
  options: ReaderOptions = {},
): Promise<SourceReader> {
  if (!(await isDirectory(sourceDir))) throw new ImportError("invalid_spec", `source folder not found: ${sourceDir}`);
  const f = format === "auto" ? await detectFormat(sourceDir) : format;
  switch (f) {
    case "pixano_jsonl":
      return openJsonlV2(sourceDir, options);
    case "pixano_v1":
      return openV1(sourceDir, options);
    case "media":
      return openV1(sourceDir, options, true);
    case "coco":
      return openCoco(sourceDir, options);
  }
}
