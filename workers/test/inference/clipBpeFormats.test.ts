import { readFileSync } from "node:fs";
import { copyFile, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clipBpeFor } from "../../src/inference/clip/bpe/clipBpe.js";
import { readVocabulary } from "../../src/inference/clip/bpe/vocabulary.js";
import { ClipError } from "../../src/inference/clip/ClipError.js";

/**
 * The vocabulary files a CLIP model folder may hold besides OpenAI's merges file: a Hugging Face
 * `tokenizer.json` (merges as "a b" strings, or as ["a", "b"] pairs in newer files) and a
 * `vocab.json` + `merges.txt` pair. Written here from OpenAI's file (same ids, same merge order, as
 * Hugging Face's CLIP tokenizers have), they must tokenise the reference corpus to the same ids.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const FIXTURES = path.join(ROOT, "fixtures/clip-bpe");
const VOCAB = path.join(FIXTURES, "bpe_simple_vocab_16e6.txt.gz");
const expected = JSON.parse(readFileSync(path.join(FIXTURES, "expected.json"), "utf8")) as {
  cases: { text: string; ids: number[] }[];
};
const CONTEXT = 77;
const padded = (ids: readonly number[]) => [...ids, ...new Array<number>(CONTEXT - ids.length).fill(0)];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tessera-clip-bpe-formats-"));
  const openai = readVocabulary(VOCAB, null);
  const vocab = Object.fromEntries(openai.ids);
  const merges = [...openai.ranks.keys()];
  await writeFile(path.join(dir, "tokenizer.json"), JSON.stringify({ model: { type: "BPE", vocab, merges } }));
  await writeFile(
    path.join(dir, "pairs.tokenizer.json"),
    JSON.stringify({ model: { type: "BPE", vocab, merges: merges.map((m) => m.split(" ")) } }),
  );
  await writeFile(path.join(dir, "vocab.json"), JSON.stringify(vocab));
  await writeFile(path.join(dir, "merges.txt"), `#version: 0.2\n${merges.join("\n")}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function mismatches(file: string, merges: string | null) {
  const tokenizer = clipBpeFor(path.join(dir, file), merges === null ? null : path.join(dir, merges));
  return expected.cases
    .map(({ text, ids }) => ({ text, want: ids, got: padded(tokenizer.tokens(text, CONTEXT)) }))
    .filter(({ want, got }) => JSON.stringify(want) !== JSON.stringify(got));
}

describe("CLIP BPE vocabulary formats", () => {
  it("a Hugging Face tokenizer.json (string merges, and [a, b] pair merges) gives the reference ids", () => {
    expect(mismatches("tokenizer.json", null)).toEqual([]);
    expect(mismatches("pairs.tokenizer.json", null)).toEqual([]);
  });

  it("a Hugging Face vocab.json + merges.txt pair gives the reference ids", () => {
    expect(mismatches("vocab.json", "merges.txt")).toEqual([]);
  });

  it("malformed vocabularies are refused with a ClipError that says what is wrong", async () => {
    await writeFile(path.join(dir, "bad.json"), "{not json");
    expect(() => readVocabulary(path.join(dir, "bad.json"), null)).toThrow(/bad\.json is not JSON/);
    await writeFile(path.join(dir, "nomodel.json"), JSON.stringify({ model: { vocab: {} } }));
    expect(() => readVocabulary(path.join(dir, "nomodel.json"), null)).toThrow(ClipError);
    await writeFile(
      path.join(dir, "nospecial.json"),
      JSON.stringify({ model: { vocab: { a: 0, "a</w>": 1 }, merges: [] } }),
    );
    expect(() => readVocabulary(path.join(dir, "nospecial.json"), null)).toThrow(/no <\|startoftext\|>/);
    await writeFile(path.join(dir, "badmerge.txt"), "header\na b c\n");
    expect(() => readVocabulary(path.join(dir, "badmerge.txt"), null)).toThrow(/line 2: a merge is two tokens/);
    expect(() => readVocabulary(path.join(dir, "absent.txt.gz"), null)).toThrow(/absent\.txt\.gz is missing/);
  });

  it("a vocabulary file replaced under the same path is read again (the cache follows size and mtime)", async () => {
    const file = path.join(dir, "replaced.txt.gz");
    await copyFile(VOCAB, file);
    const first = clipBpeFor(file, null);
    expect(clipBpeFor(file, null)).toBe(first);
    await utimes(file, new Date(), new Date(Date.now() + 60_000));
    expect(clipBpeFor(file, null)).not.toBe(first);
  });
});
