import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  codePointToUtf16,
  graphemeBoundaries,
  mentionOf,
  PIXANO_OFFSET_UNIT,
  selectionToRanges,
  spanColumns,
  spanRanges,
  TextOffsetError,
  utf16ToCodePoint,
  utf16ToUtf8,
} from "../../src/index.js";

/** What Pixano 0.8.0 wrote for spans over emoji, combining marks and CJK (fixtures/pixano-built/build_text_offsets.py). */
interface Expectations {
  readonly unit: string;
  readonly texts: readonly { record_id: string; view_id: string; content: string; utf16_length: number }[];
  readonly spans: readonly {
    id: string;
    record_id: string;
    view_id: string;
    mention: string;
    spans_start: number[];
    spans_end: number[];
    python_str_slice: string;
    pieces: { piece: string; utf16: [number, number]; code_points: [number, number]; utf8_bytes: [number, number] }[];
  }[];
}

const FIXTURE = fileURLToPath(
  new URL("../../../fixtures/pixano-built/text-offsets/reference/expectations.json", import.meta.url),
);
const expected = JSON.parse(readFileSync(FIXTURE, "utf8")) as Expectations;
const contentOf = (recordId: string): string => {
  const t = expected.texts.find((x) => x.record_id === recordId);
  if (!t) throw new Error(`no text for ${recordId}`);
  return t.content;
};

describe("text-span offsets are Pixano's (SPEC S-SPANS-UNIT), against the Pixano-built fixture", () => {
  it("the fixture is in UTF-16 units, and its texts have astral characters, combining marks and CJK", () => {
    expect(expected.unit).toBe(PIXANO_OFFSET_UNIT);
    const all = expected.texts.map((t) => t.content).join("");
    expect(all).toMatch(/\p{Extended_Pictographic}/u);
    expect(all).toMatch(/\p{M}/u);
    expect(all).toMatch(/\p{Script=Han}/u);
    for (const t of expected.texts) expect(t.content.length).toBe(t.utf16_length);
  });

  it.each(expected.spans.map((s) => [s.mention, s] as const))(
    "Pixano's span %j shows at the right characters",
    (_mention, s) => {
      const text = contentOf(s.record_id);
      const ranges = spanRanges(text, s.spans_start, s.spans_end);
      expect(mentionOf(text, ranges)).toBe(s.mention);
      expect(ranges.map((r) => text.slice(r.start, r.end))).toEqual(s.pieces.map((p) => p.piece));
    },
  );

  it.each(expected.spans.map((s) => [s.mention, s] as const))(
    "selecting %j writes the offsets and mention Pixano wrote",
    (_mention, s) => {
      const text = contentOf(s.record_id);
      // A person selects each piece (reversed, as a backwards drag gives it); Tessera writes the row's columns.
      const selection = s.pieces.map((p) => ({ start: p.utf16[1], end: p.utf16[0] }));
      expect(spanColumns(text, selectionToRanges(text, selection))).toEqual({
        mention: s.mention,
        spans_start: s.spans_start,
        spans_end: s.spans_end,
      });
    },
  );

  it("converts to the other units the fixture records (Python code points, UTF-8 bytes) and back", () => {
    for (const s of expected.spans) {
      const text = contentOf(s.record_id);
      for (const p of s.pieces) {
        expect(p.utf16.map((o) => utf16ToCodePoint(text, o))).toEqual(p.code_points);
        expect(p.code_points.map((c) => codePointToUtf16(text, c))).toEqual(p.utf16);
        expect(p.utf16.map((o) => utf16ToUtf8(text, o))).toEqual(p.utf8_bytes);
      }
    }
    // Where the units differ, a Python slice is not the mention: the reason the unit matters.
    expect(expected.spans.some((s) => s.python_str_slice !== s.mention)).toBe(true);
  });

  it("a selection inside a grapheme takes the whole grapheme (accent, skin tone, ZWJ family, flag)", () => {
    const text = contentOf("u1");
    const family = text.indexOf("👨");
    // From the middle of the first surrogate pair to just after the first ZWJ.
    expect(mentionOf(text, selectionToRanges(text, [{ start: family + 1, end: family + 3 }]))).toBe(
      "👨\u200d👩\u200d👧",
    );
    const thumb = text.indexOf("👍");
    expect(mentionOf(text, selectionToRanges(text, [{ start: thumb, end: thumb + 2 }]))).toBe("👍🏽");
    const flag = text.indexOf("🇫");
    expect(mentionOf(text, selectionToRanges(text, [{ start: flag + 2, end: flag + 3 }]))).toBe("🇫🇷");
    const accents = contentOf("u2");
    // "Cafe" without its combining acute: the accent comes along.
    expect(mentionOf(accents, selectionToRanges(accents, [{ start: 0, end: 4 }]))).toBe("Cafe\u0301");
    expect(graphemeBoundaries(accents)).not.toContain(4);
  });

  it("trims white space, drops empty ranges, sorts and merges overlapping or touching ones", () => {
    const text = "a red ball and a blue box";
    const r = selectionToRanges(text, [
      { start: 16, end: 25 },
      { start: 1, end: 6 },
      { start: 5, end: 11 },
      { start: 13, end: 13 },
      { start: 14, end: 15 },
    ]);
    expect(r).toEqual([
      { start: 2, end: 10 },
      { start: 17, end: 25 },
    ]);
    expect(mentionOf(text, r)).toBe("red ball ... blue box");
  });

  it("refuses selections outside the text with a typed error", () => {
    expect(() => selectionToRanges("abc", [{ start: 0, end: 4 }])).toThrow(TextOffsetError);
    expect(() => selectionToRanges("abc", [{ start: -1, end: 2 }])).toThrow(TextOffsetError);
    expect(() => selectionToRanges("abc", [{ start: 0.5, end: 2 }])).toThrow(TextOffsetError);
    expect(() => codePointToUtf16("ab", 3)).toThrow(TextOffsetError);
  });

  it("shows a span Pixano accepted with offsets past the end or inside a surrogate pair, without rewriting it", () => {
    const text = "x 🍕 y";
    // Pixano accepts any 0 ≤ start ≤ end; the reader clamps and widens to whole code points.
    expect(spanRanges(text, [3, 4], [4, 99])).toEqual([
      { start: 2, end: 4 },
      { start: 4, end: 6 },
    ]);
    expect(spanRanges(text, [1], [0])).toEqual([{ start: 0, end: 1 }]);
    expect(spanRanges(text, [7, 0], [9])).toEqual([{ start: 6, end: 6 }]);
  });
});
