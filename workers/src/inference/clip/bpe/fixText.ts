import { HTML5_NAMED_REFERENCES } from "./htmlEntities.js";
import { htmlUnescape } from "./htmlUnescape.js";
import { WINDOWS_1252_BYTE, WINDOWS_1252_C1 } from "./windows1252.js";

/**
 * The text repair the reference CLIP tokenizer runs first (`ftfy.fix_text` with its default
 * settings), line by line and each line until nothing changes:
 *
 * - HTML entities that end in `;` (`&amp;`, `&#39;`, and `&NTILDE;`-style upper-cased names) are
 *   decoded, unless a `<` has been seen in this line or an earlier one (then the text is HTML);
 * - mojibake: a line that is entirely Latin-1 / Windows-1252 and whose bytes are valid UTF-8 with at
 *   least one multi-byte sequence is decoded as UTF-8 (`cafÃ©` → `café`). ftfy also repairs mixed
 *   lines and other single-byte code pages by a badness score; those rarer cases are left as they are;
 * - C1 controls read as Windows-1252, Latin ligatures split (`ﬁ` → `fi`), full/half-width forms
 *   to their usual width, curly quotes straightened, line breaks to `\n`, lone surrogates to
 *   U+FFFD, terminal colour escapes and invisible control characters removed, then NFC.
 */

const ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy's entity table: the `;` names, plus upper-cased forms of lower-case names that mean nothing else. */
const ENTITIES: ReadonlyMap<string, string> = (() => {
  const table = new Map<string, string>();
  for (const [name, text] of HTML5_NAMED_REFERENCES) {
    if (!name.endsWith(";")) continue;
    table.set(`&${name}`, text);
    if (name === name.toLowerCase()) {
      const upper = `&${name.toUpperCase()}`;
      if (htmlUnescape(upper) === upper) table.set(upper, text.toUpperCase());
    }
  }
  return table;
})();

function unescapeEntities(text: string): string {
  return text.replace(ENTITY, (ref) => {
    const named = ENTITIES.get(ref);
    if (named !== undefined) return named;
    if (ref.startsWith("&#")) {
      const decoded = htmlUnescape(ref);
      return decoded.includes(";") ? ref : decoded;
    }
    return ref;
  });
}

/** The bytes of `text` as Latin-1 (when `sloppy1252`, also Windows-1252), or null when it is not. */
function singleByte(text: string, sloppy1252: boolean): Uint8Array | null {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x100 && !(sloppy1252 && c >= 0x80 && c < 0xa0 && !WINDOWS_1252_C1.includes(c))) bytes[i] = c;
    else {
      const b = sloppy1252 ? WINDOWS_1252_BYTE.get(c) : undefined;
      if (b === undefined) return null;
      bytes[i] = b;
    }
  }
  return bytes;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function fixMojibake(text: string): string {
  if (!/[\u0080-\uffff]/.test(text)) return text;
  for (const sloppy of [false, true]) {
    const bytes = singleByte(text, sloppy);
    if (bytes === null || !bytes.some((b) => b >= 0xc2 && b <= 0xf4)) continue;
    try {
      const decoded = UTF8.decode(bytes);
      if (decoded !== text) return decoded;
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      // not UTF-8 read as a single-byte code page: nothing to repair this way
    }
  }
  return text;
}

const LIGATURES: Readonly<Record<string, string>> = {
  "\u0132": "IJ",
  "\u0133": "ij",
  "\u0149": "\u02bcn",
  "\u01f1": "DZ",
  "\u01f2": "Dz",
  "\u01f3": "dz",
  "\u01c4": "D\u017d",
  "\u01c5": "D\u017e",
  "\u01c6": "d\u017e",
  "\u01c7": "LJ",
  "\u01c8": "Lj",
  "\u01c9": "lj",
  "\u01ca": "NJ",
  "\u01cb": "Nj",
  "\u01cc": "nj",
  "\ufb00": "ff",
  "\ufb01": "fi",
  "\ufb02": "fl",
  "\ufb03": "ffi",
  "\ufb04": "ffl",
  "\ufb05": "\u017ft",
  "\ufb06": "st",
};
const LIGATURE = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;

/** Half- and full-width forms (U+FF01–U+FFEF) as their NFKC form; the ideographic space as a space. */
const WIDTH = /[\u3000\uff01-\uffef]/g;
const widthForm = (c: string): string => (c === "\u3000" ? " " : c.normalize("NFKC"));

const C1 = /[\u0080-\u009f]/g;
const c1As1252 = (c: string): string => String.fromCodePoint(WINDOWS_1252_C1[c.charCodeAt(0) - 0x80] ?? 0xfffd);

// eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
const TERMINAL_ESCAPE = /\u001b\[[0-9;]*[a-zA-Z]/g;
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function fixOnce(text: string, unescape: boolean): string {
  let t = unescape ? unescapeEntities(text) : text;
  t = fixMojibake(t);
  t = t.replace(C1, c1As1252);
  t = t.replace(LIGATURE, (c) => LIGATURES[c] ?? c);
  t = t.replace(WIDTH, widthForm);
  t = t.replace(/[\u02bc\u2018-\u201b]/g, "'").replace(/[\u201c-\u201f]/g, '"');
  t = t.replace(/\r\n|[\r\u2028\u2029\u0085]/g, "\n");
  t = t.replace(LONE_SURROGATE, "\ufffd");
  t = t.replace(TERMINAL_ESCAPE, "").replace(CONTROL, "");
  return t.normalize("NFC");
}

export function fixText(text: string): string {
  let unescape = true;
  const out: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const newline = text.indexOf("\n", pos);
    const end = newline === -1 ? text.length : newline + 1;
    let segment = text.slice(pos, end);
    if (segment.includes("<")) unescape = false;
    for (;;) {
      const fixed = fixOnce(segment, unescape);
      if (fixed === segment) break;
      segment = fixed;
    }
    out.push(segment);
    pos = end;
  }
  return out.join("");
}
