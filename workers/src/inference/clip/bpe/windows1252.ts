/**
 * Windows-1252's bytes 0x80–0x9F as Unicode, "sloppily" (the five bytes 1252 leaves undefined —
 * 0x81, 0x8D, 0x8F, 0x90, 0x9D — stand for the C1 control of the same number), as browsers and
 * ftfy read them. Bytes 0xA0–0xFF are Latin-1, i.e. the code point of the same number.
 */
export const WINDOWS_1252_C1: readonly number[] = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d,
  0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d,
  0x017e, 0x0178,
];

/** Unicode → its sloppy Windows-1252 byte (only the code points that are not their own byte). */
export const WINDOWS_1252_BYTE: ReadonlyMap<number, number> = new Map(
  WINDOWS_1252_C1.map((cp, i) => [cp, 0x80 + i] as const).filter(([cp, byte]) => cp !== byte),
);
