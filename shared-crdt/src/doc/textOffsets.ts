/**
 * Text-span offsets as Pixano stores them (SPEC S-SPANS-UNIT).
 *
 * `spans_start` / `spans_end` of a `text_spans` row index `texts.content` of the row's view in
 * **UTF-16 code units**: Pixano 0.8.0's Python never interprets them (it checks only lengths and
 * `0 ≤ start ≤ end`), and its UI — the only Pixano code that maps them onto the text — counts
 * JavaScript string lengths over one ProseMirror text node (`pmPosToCharOffset`). A JavaScript
 * string index *is* a Pixano offset; the fixture `fixtures/pixano-built/text-offsets` (built by
 * Pixano over emoji, combining marks and CJK) pins it. Python `str` indices (code points) and
 * UTF-8 byte offsets are other units: the converters below say where they land, for importers and
 * tests, never for what is stored.
 *
 * What this module adds over plain indices is safety at the edges: offsets Pixano accepted may be
 * past the end of the text or split a surrogate pair (Pixano accepts any non-negative pair), so
 * reading clamps them without rewriting the row; and a selection made by a person is snapped to
 * whole graphemes (an accent is never cut from its letter, nor a ZWJ family into people).
 */

/** The unit of Pixano's `spans_start` / `spans_end`. */
export const PIXANO_OFFSET_UNIT = "utf16";

/** How the pieces of a discontinuous mention are joined (Tessera's demo and the `mel` fixture). */
export const MENTION_JOINER = " ... ";

/** A half-open range `[start, end)` of JavaScript string indices (= Pixano offsets). */
export interface TextRange {
  readonly start: number;
  readonly end: number;
}

export class TextOffsetError extends Error {
  override readonly name = "TextOffsetError";
  constructor(
    readonly reason: "not_an_offset" | "out_of_range",
    message: string,
  ) {
    super(message);
  }
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** True when `i` falls between the two halves of a surrogate pair. */
function splitsPair(text: string, i: number): boolean {
  return i > 0 && i < text.length && isHigh(text.charCodeAt(i - 1)) && isLow(text.charCodeAt(i));
}

function checkIndex(text: string, i: number, what: string): void {
  if (!Number.isSafeInteger(i) || i < 0) throw new TextOffsetError("not_an_offset", `${what} ${i} is not an offset`);
  if (i > text.length) throw new TextOffsetError("out_of_range", `${what} ${i} is past the end (${text.length})`);
}

/** Pixano offset (UTF-16) → Python `str` index (code points). */
export function utf16ToCodePoint(text: string, offset: number): number {
  checkIndex(text, offset, "offset");
  let n = 0;
  for (let i = 0; i < offset; i++) if (!(isLow(text.charCodeAt(i)) && i > 0 && isHigh(text.charCodeAt(i - 1)))) n++;
  return n;
}

/** Python `str` index (code points) → Pixano offset (UTF-16). */
export function codePointToUtf16(text: string, codePoint: number): number {
  if (!Number.isSafeInteger(codePoint) || codePoint < 0)
    throw new TextOffsetError("not_an_offset", `code point index ${codePoint} is not an offset`);
  let i = 0;
  for (let n = 0; n < codePoint; n++) {
    if (i >= text.length) throw new TextOffsetError("out_of_range", `code point index ${codePoint} is past the end`);
    i += isHigh(text.charCodeAt(i)) && isLow(text.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}

/** Pixano offset (UTF-16) → UTF-8 byte offset of the same place. */
export function utf16ToUtf8(text: string, offset: number): number {
  checkIndex(text, offset, "offset");
  let bytes = 0;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (isHigh(c) && isLow(text.charCodeAt(i + 1)) && i + 1 < offset) {
      bytes += 4;
      i++;
    } else bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3; // a lone surrogate is written as U+FFFD (3 bytes)
  }
  return bytes;
}

/**
 * Where a stored span shows in its text: one range per (start, end) pair, in JavaScript indices,
 * clamped to the text and widened so no surrogate pair is cut (a row Pixano accepted with offsets
 * past the end, or reversed, still shows what it can; the row itself is never rewritten). Pairs
 * past the end are empty ranges at the end. The result has the pairs' order and count.
 */
export function spanRanges(text: string, starts: readonly number[], ends: readonly number[]): TextRange[] {
  const out: TextRange[] = [];
  const n = Math.min(starts.length, ends.length);
  for (let k = 0; k < n; k++) {
    const a = clampOffset(text, starts[k] ?? 0);
    const b = clampOffset(text, ends[k] ?? 0);
    let start = Math.min(a, b);
    let end = Math.max(a, b);
    if (splitsPair(text, start)) start--;
    if (splitsPair(text, end)) end++;
    out.push({ start, end });
  }
  return out;
}

function clampOffset(text: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) return 0;
  return Math.min(Math.trunc(v), text.length);
}

/** The mention Tessera writes for these ranges: each piece's text, joined by {@link MENTION_JOINER}. */
export function mentionOf(text: string, ranges: readonly TextRange[]): string {
  return ranges.map((r) => text.slice(r.start, r.end)).join(MENTION_JOINER);
}

const WHITESPACE = /\s/u;

/** Grapheme boundaries of a text (`0` and `text.length` included), ascending. */
export function graphemeBoundaries(text: string): number[] {
  const out: number[] = [];
  for (const s of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) out.push(s.index);
  out.push(text.length);
  return out;
}

/**
 * A person's selection (one or more ranges of JavaScript indices, in any order, possibly
 * overlapping or reversed) as the ranges of a span: each snapped outward to whole graphemes,
 * sorted and merged when they overlap or touch, then trimmed of surrounding white space (white
 * space alone is dropped). Throws {@link TextOffsetError} for indices that are not in the text.
 */
export function selectionToRanges(text: string, selection: readonly TextRange[]): TextRange[] {
  const bounds = graphemeBoundaries(text);
  const floor = (i: number) => {
    let best = 0;
    for (const b of bounds) if (b <= i) best = b;
    return best;
  };
  const ceil = (i: number) => bounds.find((b) => b >= i) ?? text.length;
  const snapped: TextRange[] = [];
  for (const r of selection) {
    checkIndex(text, r.start, "selection start");
    checkIndex(text, r.end, "selection end");
    snapped.push({ start: floor(Math.min(r.start, r.end)), end: ceil(Math.max(r.start, r.end)) });
  }
  snapped.sort((x, y) => x.start - y.start || x.end - y.end);
  const merged: TextRange[] = [];
  for (const r of snapped) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else merged.push(r);
  }
  const trimmed: TextRange[] = [];
  for (const r of merged) {
    let { start, end } = r;
    while (start < end && WHITESPACE.test(text.charAt(start))) start++;
    while (end > start && WHITESPACE.test(text.charAt(end - 1))) end--;
    if (end > start) trimmed.push({ start, end });
  }
  return trimmed;
}

/** The columns of a `text_spans` row for these ranges (offsets in Pixano's unit, and the mention). */
export function spanColumns(
  text: string,
  ranges: readonly TextRange[],
): { mention: string; spans_start: number[]; spans_end: number[] } {
  return {
    mention: mentionOf(text, ranges),
    spans_start: ranges.map((r) => r.start),
    spans_end: ranges.map((r) => r.end),
  };
}
