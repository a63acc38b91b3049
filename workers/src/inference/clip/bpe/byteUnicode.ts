/**
 * CLIP's (and GPT-2's) reversible byte → character map, so BPE works on printable characters:
 * the printable Latin-1 bytes (`!`–`~`, `¡`–`¬`, `®`–`ÿ`) stand for themselves, the other 68 bytes
 * (controls, space, U+00AD …) for U+0100, U+0101, … in byte order. `BYTE_CHARS[b]` is byte b's
 * character; `BYTE_ORDER` lists the characters in the vocabulary's order (the printable ones first).
 */
function build(): { chars: string[]; order: string[] } {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars = new Array<string>(256);
  const order: string[] = [];
  for (let b = 0; b < 256; b++)
    if (printable(b)) {
      const c = String.fromCharCode(b);
      chars[b] = c;
      order.push(c);
    }
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!printable(b)) {
      const c = String.fromCharCode(256 + n++);
      chars[b] = c;
      order.push(c);
    }
  return { chars, order };
}

const built = build();
export const BYTE_CHARS: readonly string[] = built.chars;
export const BYTE_ORDER: readonly string[] = built.order;
