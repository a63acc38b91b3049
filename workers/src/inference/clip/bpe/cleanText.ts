import { fixText } from "./fixText.js";
import { htmlUnescape } from "./htmlUnescape.js";

/**
 * CLIP's text cleaning before its BPE: repair (`fixText`), HTML-unescape twice, collapse every run
 * of white space to one space, trim, lower-case — the reference's `whitespace_clean(basic_clean(t)).lower()`.
 *
 * "White space" is Python's: `\s` of the `regex` module (Unicode White_Space) for the collapsing and
 * `str.strip`'s set (which adds U+001C–U+001F) for the first trim; JavaScript's `\s` differs (it has
 * U+FEFF, lacks U+0085), so both are spelt out.
 */
export const PY_WHITESPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const STRIP_SET = `${PY_WHITESPACE}\\u001c-\\u001f`;
const STRIP = new RegExp(`^[${STRIP_SET}]+|[${STRIP_SET}]+$`, "g");
const RUN = new RegExp(`[${PY_WHITESPACE}]+`, "g");

export function cleanText(text: string): string {
  const basic = htmlUnescape(htmlUnescape(fixText(text))).replace(STRIP, "");
  return basic.replace(RUN, " ").replace(STRIP, "").toLowerCase();
}
