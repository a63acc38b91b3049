import type { ClipModelSpec } from "@tessera/shared-crdt";
import { ClipError } from "./ClipError.js";

type Tokenizer = NonNullable<ClipModelSpec["tokenizer"]>;

/** Reserved ids of the `tessera-words` tokenizer. */
const PAD = 0;
const UNK = 1;

/**
 * The `tessera-words` tokenizer of the tiny test models: lower-case, split on anything that is not
 * a letter, each word → its index in `vocab` (unknown → 1), the first `maxLength` tokens, padded
 * with 0 to the longest text of the batch; the attention mask is 1 on the tokens. Other kinds
 * (CLIP's byte-level BPE, `clip-bpe`) are not implemented: refused with a clear error.
 */
export function tokenize(
  tokenizer: Tokenizer,
  texts: readonly string[],
): { ids: BigInt64Array; mask: BigInt64Array; length: number } {
  if (tokenizer.kind !== "tessera-words")
    throw new ClipError(`tokenizer '${tokenizer.kind}' is not supported (supported: tessera-words)`);
  const index = new Map(tokenizer.vocab.map((w, i) => [w, i] as const));
  const tokenised = texts.map((t) =>
    t
      .toLowerCase()
      .split(/[^\p{L}]+/u)
      .filter((w) => w !== "")
      .slice(0, tokenizer.maxLength)
      .map((w) => index.get(w) ?? UNK),
  );
  const length = Math.max(1, ...tokenised.map((t) => t.length));
  const ids = new BigInt64Array(texts.length * length).fill(BigInt(PAD));
  const mask = new BigInt64Array(texts.length * length);
  tokenised.forEach((tokens, b) =>
    tokens.forEach((id, i) => {
      ids[b * length + i] = BigInt(id);
      mask[b * length + i] = 1n;
    }),
  );
  return { ids, mask, length };
}
