/**
 * How an edit carries its send time: the moved box's `source_metadata` (a JSON object, as Pixano
 * requires) holds `{t, c, s}` — the sender's clock (`nowMs`), its client index and the edit's
 * sequence number — so an observer can time the edit on arrival and count what it received.
 */
export interface EditStamp {
  readonly t: number;
  /** Client index. */
  readonly c: number;
  /** Edit sequence number of that client (0, 1, 2, …). */
  readonly s: number;
}

export function stampMetadata(stamp: EditStamp): string {
  return JSON.stringify(stamp);
}

/** The stamp in a `source_metadata` value, or null when it carries none. */
export function readStamp(value: unknown): EditStamp | null {
  if (typeof value !== "string" || !value.startsWith('{"t":')) return null;
  const o = JSON.parse(value) as Partial<EditStamp>;
  return typeof o.t === "number" && typeof o.c === "number" && typeof o.s === "number"
    ? { t: o.t, c: o.c, s: o.s }
    : null;
}

/** Normalised `xywh` coordinates of client `index`'s box after its edit `seq`: it slides left to right. */
export function movedCoords(index: number, seq: number): number[] {
  const x = 0.05 + 0.6 * ((seq % 40) / 40);
  const y = 0.05 + 0.8 * ((index % 17) / 17);
  return [round(x), round(y), 0.1, 0.08];
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
