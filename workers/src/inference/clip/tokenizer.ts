import type { ClipModelSpec } from "@tessera/shared-crdt";
import { clipBpeFor } from "./bpe/clipBpe.js";
import { ClipError } from "./ClipError.js";

type Tokenizer = NonNullable<ClipModelSpec["tokenizer"]>;

/** A batch of texts as the text encoder takes it: ids and attention mask, both [texts, length]. */
export interface TokenBatch {
  readonly ids: BigInt64Array;
  readonly mask: BigInt64Array;
  readonly length: number;
}

/** Reserved ids of the `tessera-words` tokenizer. */
const PAD = 0;
const UNK = 1;

/**
 * The `tessera-words` tokenizer of the tiny test models: lower-case, split on anything that is not
 * a letter, each word → its index in `vocab` (unknown → 1), the first `maxLength` tokens.
 */
function wordTokens(tokenizer: Tokenizer, texts: readonly string[]): number[][] {
  const index = new Map(tokenizer.vocab.map((w, i) => [w, i] as const));
  return texts.map((t) =>
    t
      .toLowerCase()
      .split(/[^\p{L}]+/u)
      .filter((w) => w !== "")
      .slice(0, tokenizer.maxLength)
      .map((w) => index.get(w) ?? UNK),
  );
}

/** CLIP's byte-level BPE (`clip-bpe`): `<|startoftext|>` … `<|endoftext|>`, cut to `maxLength`. */
function clipTokens(tokenizer: Tokenizer, texts: readonly string[]): number[][] {
  if (tokenizer.file === undefined)
    throw new ClipError(
      `a clip-bpe tokenizer needs tokenizer.file in the model's manifest (bpe_simple_vocab_16e6.txt.gz, tokenizer.json or vocab.json)`,
    );
  const bpe = clipBpeFor(tokenizer.file, tokenizer.merges ?? null);
  return texts.map((t) => bpe.tokens(t, tokenizer.maxLength));
}

function batch(tokenised: readonly (readonly number[])[], length: number): TokenBatch {
  const ids = new BigInt64Array(tokenised.length * length).fill(BigInt(PAD));
  const mask = new BigInt64Array(tokenised.length * length);
  tokenised.forEach((tokens, b) =>
    tokens.forEach((id, i) => {
      ids[b * length + i] = BigInt(id);
      mask[b * length + i] = 1n;
    }),
  );
  return { ids, mask, length };
}

/**
 * Tokenises a batch by the manifest's tokenizer. Padding is 0 and the attention mask is 1 on the
 * tokens. `tessera-words` pads to the longest text of the batch; `clip-bpe` to the context length
 * (`maxLength`, 77 for CLIP), the fixed sequence length of CLIP's text towers. Other kinds are refused.
 */
export function tokenize(tokenizer: Tokenizer, texts: readonly string[]): TokenBatch {
  switch (tokenizer.kind) {
    case "tessera-words": {
      const tokenised = wordTokens(tokenizer, texts);
      return batch(tokenised, Math.max(1, ...tokenised.map((t) => t.length)));
    }
    case "clip-bpe":
      return batch(clipTokens(tokenizer, texts), tokenizer.maxLength);
    default:
      throw new ClipError(`tokenizer '${tokenizer.kind}' is not supported (supported: clip-bpe, tessera-words)`);
  }
}
