/**
 * People colours (UI.md "People"): a fixed palette of 12 clearly different hues; each user keeps
 * one colour everywhere (avatar ring, cursor, selection outline, activity entries).
 */
export const PEOPLE_PALETTE = [
  "#e6194b",
  "#3cb44b",
  "#4363d8",
  "#f58231",
  "#911eb4",
  "#42d4f4",
  "#f032e6",
  "#bfef45",
  "#fabed4",
  "#469990",
  "#dcbeff",
  "#ffe119",
] as const;

/** A user's colour, stable for their id (FNV-1a hash into the palette). */
export function userColor(userId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return PEOPLE_PALETTE[h % PEOPLE_PALETTE.length] as string;
}

/** Initials for avatars: first letters of the first two words, upper-cased. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return (
    words
      .slice(0, 2)
      .map((w) => (w[0] ?? "").toUpperCase())
      .join("") || "?"
  );
}
