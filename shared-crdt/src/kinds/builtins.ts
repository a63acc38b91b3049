import { bboxes } from "./bboxes.js";
import { classifications } from "./classifications.js";
import { keypoints } from "./keypoints.js";
import { masks } from "./masks.js";
import { messages } from "./messages.js";
import { multiPaths } from "./multiPaths.js";
import { relations } from "./relations.js";
import { textSpans } from "./textSpans.js";
import { tracklets } from "./tracklets.js";

/**
 * Pixano 0.8's annotation kinds, in Pixano's multi-table insert order (which is the order of the
 * record document's maps, of persist writes, of `TABLE_NAMES`). Adding a built-in kind = one module
 * next to this file + one line here (docs/ARCHITECTURE.md §9).
 */
export const BUILTIN_KINDS = [
  bboxes,
  masks,
  keypoints,
  multiPaths,
  tracklets,
  textSpans,
  messages,
  classifications,
  relations,
] as const;

/** The id (= table name) of a built-in kind: the literal part of `TableName`. */
export type BuiltinKindId = (typeof BUILTIN_KINDS)[number]["id"];
/** The `info.json` slot of a built-in kind. */
export type BuiltinKindSlot = (typeof BUILTIN_KINDS)[number]["slot"];
