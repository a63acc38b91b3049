import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { ClipError } from "../ClipError.js";
import { BYTE_ORDER } from "./byteUnicode.js";

/** A BPE vocabulary: token → id, and each merge ("a b") → its rank (lower merges first). */
export interface BpeVocabulary {
  readonly ids: ReadonlyMap<string, number>;
  readonly ranks: ReadonlyMap<string, number>;
  readonly startId: number;
  readonly endId: number;
}

export const START = "<|startoftext|>";
export const END = "<|endoftext|>";
/** OpenAI's file holds more merges than CLIP uses: it keeps the first 49 152 − 256 − 2 of them. */
const OPENAI_MERGES = 49152 - 256 - 2;

function specials(ids: ReadonlyMap<string, number>, file: string): { startId: number; endId: number } {
  const startId = ids.get(START);
  const endId = ids.get(END);
  if (startId === undefined || endId === undefined)
    throw new ClipError(`${path.basename(file)}: the vocabulary has no ${START} / ${END} tokens`);
  return { startId, endId };
}

function pairKey(line: string, where: string): string {
  const simple = line.trim().split(" ");
  const parts = simple.length === 2 ? simple : line.trim().split(/\s+/);
  if (parts.length !== 2)
    throw new ClipError(`${where}: a merge is two tokens separated by a space (got ${JSON.stringify(line)})`);
  return `${parts[0]} ${parts[1]}`;
}

/**
 * OpenAI's `bpe_simple_vocab_16e6.txt.gz` (or the same text uncompressed): a header line, then one
 * merge per line. The ids are derived as CLIP derives them: the 256 byte characters, the same with
 * `</w>`, each merge's result in order, then `<|startoftext|>` and `<|endoftext|>` (49 408 in all).
 */
function openAiMerges(file: string, data: Buffer): BpeVocabulary {
  const bytes = file.endsWith(".gz") ? gunzipSync(data) : data;
  // Only the first lines are used (the file has ≈ 262 000): decode just those.
  let end = -1;
  for (let n = 0; n <= OPENAI_MERGES; n++) {
    end = bytes.indexOf(0x0a, end + 1);
    if (end === -1) break;
  }
  const lines = bytes
    .toString("utf8", 0, end === -1 ? bytes.length : end)
    .split("\n")
    .slice(1, OPENAI_MERGES + 1);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === "") lines.pop();
  const name = path.basename(file);
  const vocab = [...BYTE_ORDER, ...BYTE_ORDER.map((c) => `${c}</w>`)];
  const ranks = new Map<string, number>();
  lines.forEach((line, i) => {
    const key = pairKey(line, `${name} line ${i + 2}`);
    ranks.set(key, i);
    vocab.push(key.replace(" ", ""));
  });
  vocab.push(START, END);
  const ids = new Map(vocab.map((token, id) => [token, id] as const));
  return { ids, ranks, ...specials(ids, file) };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function tokenIds(value: unknown, where: string): Map<string, number> {
  if (!isObject(value)) throw new ClipError(`${where}: the vocabulary is not a {token: id} object`);
  const ids = new Map<string, number>();
  for (const [token, id] of Object.entries(value)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0)
      throw new ClipError(`${where}: token ${JSON.stringify(token)} has no integer id`);
    ids.set(token, id);
  }
  return ids;
}

function mergeRanks(merges: readonly unknown[], where: string): Map<string, number> {
  const ranks = new Map<string, number>();
  merges.forEach((m, i) => {
    const line =
      typeof m === "string"
        ? m
        : Array.isArray(m) && m.length === 2 && m.every((t) => typeof t === "string")
          ? m.join(" ")
          : null;
    if (line === null) throw new ClipError(`${where}: merge ${i} is neither "a b" nor ["a", "b"]`);
    ranks.set(pairKey(line, `${where} merge ${i}`), i);
  });
  return ranks;
}

function parseJson(data: Buffer, file: string): unknown {
  try {
    return JSON.parse(data.toString("utf8"));
  } catch (err) {
    if (err instanceof SyntaxError) throw new ClipError(`${path.basename(file)} is not JSON: ${err.message}`);
    throw err;
  }
}

/** A Hugging Face `tokenizer.json` (its `model` is a BPE with `vocab` and `merges`). */
function huggingFaceTokenizer(file: string, data: Buffer): BpeVocabulary {
  const name = path.basename(file);
  const json = parseJson(data, file);
  const model = isObject(json) ? json.model : undefined;
  if (!isObject(model) || !Array.isArray(model.merges))
    throw new ClipError(`${name}: not a tokenizer.json with a BPE model (model.vocab, model.merges)`);
  const ids = tokenIds(model.vocab, name);
  return { ids, ranks: mergeRanks(model.merges, name), ...specials(ids, file) };
}

/** A Hugging Face `vocab.json` + `merges.txt` pair (`#version` header lines skipped). */
function huggingFacePair(file: string, data: Buffer, mergesFile: string): BpeVocabulary {
  const ids = tokenIds(parseJson(data, file), path.basename(file));
  const lines = readFileSync(mergesFile, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#version"));
  return { ids, ranks: mergeRanks(lines, path.basename(mergesFile)), ...specials(ids, file) };
}

/**
 * Reads a CLIP BPE vocabulary: OpenAI's merges file (`.txt.gz` / `.txt`), a Hugging Face
 * `tokenizer.json`, or a `vocab.json` whose merges are in `mergesFile` (`merges.txt`).
 */
export function readVocabulary(file: string, mergesFile: string | null): BpeVocabulary {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR")
      throw new ClipError(`the tokenizer file ${path.basename(file)} is missing`);
    throw err;
  }
  if (!file.endsWith(".json")) return openAiMerges(file, data);
  if (mergesFile !== null) return huggingFacePair(file, data, mergesFile);
  return huggingFaceTokenizer(file, data);
}
