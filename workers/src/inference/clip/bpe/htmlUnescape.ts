import { HTML5_NAMED_REFERENCES } from "./htmlEntities.js";
import { WINDOWS_1252_C1 } from "./windows1252.js";

/**
 * Python's `html.unescape` (the reference CLIP tokenizer runs it twice on every text): numeric
 * references (`&#233;`, `&#xE9;`, the closing `;` optional) and HTML5 named references; a name
 * without its `;` decodes by its longest known prefix (`&notit;` → `¬it;`), as browsers do.
 */

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/** Code points a numeric reference may not produce: they decode to nothing. */
function isInvalidCodePoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) ||
    n === 0xb ||
    (n >= 0xe && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe
  );
}

function numericReference(body: string): string {
  const digits = body.endsWith(";") ? body.slice(0, -1) : body;
  const hex = digits[1] === "x" || digits[1] === "X";
  const n = hex ? parseInt(digits.slice(2), 16) : parseInt(digits.slice(1), 10);
  if (n === 0) return "\ufffd";
  if (n === 0x0d) return "\r";
  if (n >= 0x80 && n <= 0x9f) return String.fromCodePoint(WINDOWS_1252_C1[n - 0x80] ?? n);
  if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return "\ufffd";
  if (isInvalidCodePoint(n)) return "";
  return String.fromCodePoint(n);
}

function namedReference(body: string): string {
  const whole = HTML5_NAMED_REFERENCES.get(body);
  if (whole !== undefined) return whole;
  for (let x = body.length - 1; x > 1; x--) {
    const prefix = HTML5_NAMED_REFERENCES.get(body.slice(0, x));
    if (prefix !== undefined) return prefix + body.slice(x);
  }
  return `&${body}`;
}

export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARREF, (_match, body: string) =>
    body.startsWith("#") ? numericReference(body) : namedReference(body),
  );
}
