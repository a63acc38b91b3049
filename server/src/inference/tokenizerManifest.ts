import path from "node:path";
import { Type, type Static } from "@sinclair/typebox";

/**
 * The `tokenizer` part of a text-encoder model's manifest:
 *
 * - `{kind: "clip-bpe", file, max_length}` — CLIP's byte-level BPE; `file` is the vocabulary in the
 *   model folder: OpenAI's `bpe_simple_vocab_16e6.txt.gz`, a Hugging Face `tokenizer.json`, or a
 *   `vocab.json` with `merges` naming its `merges.txt`. `max_length` is the context length (77).
 * - `{kind: "tessera-words", vocab, max_length}` — the tiny test models' word table.
 *
 * Other kinds are kept as written (the worker refuses them with a clear error at the first text query).
 */
export const TokenizerManifest = Type.Object(
  {
    kind: Type.String({ maxLength: 64 }),
    vocab: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 1_000_000 })),
    file: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    merges: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    max_length: Type.Integer({ minimum: 1, maximum: 4096 }),
  },
  { additionalProperties: true },
);
export type TokenizerManifest = Static<typeof TokenizerManifest>;

/** True when `file` (as written in a manifest) stays inside the model folder. */
function isInsideFolder(file: string): boolean {
  const norm = path.posix.normalize(file.replaceAll("\\", "/"));
  return !(path.posix.isAbsolute(norm) || norm.startsWith("../") || norm === "..");
}

/**
 * Checks the files a manifest's `tokenizer` names (`file`, `merges`): strings inside the model
 * folder. Returns what is wrong, or null. Nothing else is required here, so manifests written before
 * these fields existed stay valid (a `clip-bpe` tokenizer without `file` is refused at the first text
 * query, not at registration: its image tower still works).
 */
export function tokenizerProblem(raw: unknown): string | null {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  for (const role of ["file", "merges"] as const) {
    const file = (raw as Record<string, unknown>)[role];
    if (file === undefined) continue;
    if (typeof file !== "string" || file === "" || file.length > 255)
      return `tokenizer.${role} must be a file name (1 to 255 characters)`;
    if (!isInsideFolder(file))
      return `tokenizer.${role} must be a path inside the model folder (got ${JSON.stringify(file)})`;
  }
  return null;
}

/** The files a manifest's tokenizer names (relative to the model folder), role → file. */
export function tokenizerFiles(manifest: Record<string, unknown>): Record<string, string> {
  const raw = manifest.tokenizer;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return {};
  const out: Record<string, string> = {};
  for (const role of ["file", "merges"] as const) {
    const file = (raw as Record<string, unknown>)[role];
    if (typeof file === "string") out[`tokenizer.${role}`] = file;
  }
  return out;
}
