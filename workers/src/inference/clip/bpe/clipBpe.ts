import { statSync } from "node:fs";
import { ClipError } from "../ClipError.js";
import { BYTE_CHARS } from "./byteUnicode.js";
import { cleanText, PY_WHITESPACE } from "./cleanText.js";
import { END, readVocabulary, START, type BpeVocabulary } from "./vocabulary.js";

/**
 * CLIP's byte-level BPE tokenizer (OpenAI CLIP's `SimpleTokenizer`, which open_clip reuses):
 * clean the text (`cleanText`), split it into pieces (the special tokens, the contractions `'s 't
 * 're 've 'm 'll 'd`, runs of letters, single digits, runs of other non-space characters), write
 * each piece's UTF-8 bytes as byte characters, mark its end with `</w>`, then apply the merges
 * lowest rank first; each resulting symbol is one id. A text becomes
 * `<|startoftext|>` … `<|endoftext|>`, cut to the context length keeping `<|endoftext|>` last,
 * padded with 0.
 *
 * Only the first {@link MAX_TEXT_CHARS} characters of a text are read, and pieces stop once the
 * context is full: the reference's cost grows with the square of a long word's length (and of the
 * depth of nested entities such as `&amp;amp;…`), so a megabyte-long query would stall the worker
 * for everyone. 77 tokens are a few hundred characters of prose; the ids differ from the reference
 * only for a text whose first 4 096 characters give fewer than 76 tokens (mostly white space or
 * markup) and that has more after them.
 */

const PIECE = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${PY_WHITESPACE}\\p{L}\\p{N}]+`,
  "giu",
);
const MAX_TEXT_CHARS = 4096;
/** Bounded per-tokenizer memo of pieces already merged (queries repeat words); long pieces are not kept. */
const MEMO_LIMIT = 50_000;
const MEMO_PIECE_CHARS = 64;
const utf8 = new TextEncoder();

/** The first {@link MAX_TEXT_CHARS} UTF-16 units of `text`, not splitting a surrogate pair. */
function headOf(text: string): string {
  if (text.length <= MAX_TEXT_CHARS) return text;
  const last = text.charCodeAt(MAX_TEXT_CHARS - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_TEXT_CHARS - 1 : MAX_TEXT_CHARS);
}

export class ClipBpe {
  private readonly memo = new Map<string, readonly number[]>();

  constructor(private readonly vocab: BpeVocabulary) {}

  get startId(): number {
    return this.vocab.startId;
  }

  get endId(): number {
    return this.vocab.endId;
  }

  /**
   * The ids of a text's tokens, without the start/end tokens: at least `limit` of them when the
   * text has that many (pieces stop once `limit` is reached), of its first {@link MAX_TEXT_CHARS}.
   */
  encode(text: string, limit = Infinity): number[] {
    const out: number[] = [];
    for (const [piece] of cleanText(headOf(text)).matchAll(PIECE)) {
      if (out.length >= limit) break;
      out.push(...this.piece(piece));
    }
    return out;
  }

  /** `[<|startoftext|>, …, <|endoftext|>]` cut to `contextLength` (the end token kept) — unpadded. */
  tokens(text: string, contextLength: number): number[] {
    if (contextLength < 2)
      throw new ClipError(`a CLIP context holds at least the start and end tokens (got ${contextLength})`);
    // Past contextLength - 1 tokens the rest is cut anyway.
    const ids = [this.startId, ...this.encode(text, contextLength - 1), this.endId];
    if (ids.length <= contextLength) return ids;
    const cut = ids.slice(0, contextLength);
    cut[contextLength - 1] = this.endId;
    return cut;
  }

  private piece(piece: string): readonly number[] {
    const known = this.memo.get(piece);
    if (known !== undefined) return known;
    const ids = piece === START || piece === END ? [this.special(piece)] : this.merge(piece);
    if (piece.length > MEMO_PIECE_CHARS) return ids;
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(piece, ids);
    return ids;
  }

  private special(token: string): number {
    return token === START ? this.vocab.startId : this.vocab.endId;
  }

  private merge(piece: string): number[] {
    const symbols = Array.from(utf8.encode(piece), (b) => BYTE_CHARS[b] ?? "");
    const last = symbols.length - 1;
    symbols[last] = `${symbols[last] ?? ""}</w>`;
    let word = symbols;
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.vocab.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best] ?? "";
      const second = word[best + 1] ?? "";
      const next: string[] = [];
      for (let i = 0; i < word.length;) {
        if (word[i] === first && word[i + 1] === second && i + 1 < word.length) {
          next.push(first + second);
          i += 2;
        } else {
          next.push(word[i] ?? "");
          i += 1;
        }
      }
      word = next;
      if (word.length === 1) break;
    }
    return word.map((symbol) => {
      const id = this.vocab.ids.get(symbol);
      if (id === undefined) throw new ClipError(`the vocabulary has no token ${JSON.stringify(symbol)}`);
      return id;
    });
  }
}

const loaded = new Map<string, ClipBpe>();

/**
 * The tokenizer of a vocabulary file (and its `merges.txt`, for a `vocab.json`), read once and kept
 * while the files are unchanged (same size and modification time): a model replaced under the same
 * name is read again.
 */
export function clipBpeFor(file: string, mergesFile: string | null): ClipBpe {
  const stamp = (f: string) => {
    try {
      const st = statSync(f);
      return `${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ClipError(`the tokenizer file ${f} is missing`);
      throw err;
    }
  };
  const key = `${file}\0${mergesFile ?? ""}\0${stamp(file)}\0${mergesFile === null ? "" : stamp(mergesFile)}`;
  const cached = loaded.get(key);
  if (cached !== undefined) return cached;
  for (const k of loaded.keys()) if (k.startsWith(`${file}\0`)) loaded.delete(k);
  const tokenizer = new ClipBpe(readVocabulary(file, mergesFile));
  loaded.set(key, tokenizer);
  return tokenizer;
}
