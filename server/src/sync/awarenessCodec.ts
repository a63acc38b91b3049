import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { FrameError } from "@tessera/shared-crdt";

/**
 * The awareness update format (y-protocols): `varUint(n)` then n × (`varUint(clientID)`,
 * `varUint(clock)`, `varString(JSON(state))`). Decoded here, before anything reaches the room's
 * `Awareness`, so the server can bound each state's size and overwrite its `user` field.
 */
export interface AwarenessEntry {
  readonly clientID: number;
  readonly clock: number;
  /** Parsed state; `null` means the client left. */
  readonly state: unknown;
  /** Length of the state's JSON text. */
  readonly jsonLength: number;
}

/**
 * The number of entries an awareness update announces (its leading `varUint`), read without
 * decoding any of them: a frame announcing too many is refused before it costs anything.
 */
export function awarenessEntryCount(update: Uint8Array): number {
  try {
    return decoding.readVarUint(decoding.createDecoder(update));
  } catch (err) {
    throw new FrameError(`malformed awareness update: ${(err as Error).message}`);
  }
}

/** Strict decode; anything malformed throws {@link FrameError} (→ close 4400). */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const d = decoding.createDecoder(update);
  const out: AwarenessEntry[] = [];
  try {
    const n = decoding.readVarUint(d);
    for (let i = 0; i < n; i++) {
      const clientID = decoding.readVarUint(d);
      const clock = decoding.readVarUint(d);
      const json = decoding.readVarString(d);
      out.push({ clientID, clock, state: JSON.parse(json) as unknown, jsonLength: json.length });
    }
  } catch (err) {
    // lib0 throws plain Errors on truncated input and JSON.parse SyntaxErrors: both are a bad frame.
    throw new FrameError(`malformed awareness update: ${(err as Error).message}`);
  }
  if (decoding.hasContent(d)) throw new FrameError("trailing bytes after the awareness update");
  return out;
}

export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(e, entry.clientID);
    encoding.writeVarUint(e, entry.clock);
    encoding.writeVarString(e, JSON.stringify(entry.state));
  }
  return encoding.toUint8Array(e);
}

/**
 * Replaces the `user` field of a state with the server's; a non-object state becomes `{ user }`.
 * `null` (the client left) stays `null`.
 */
export function stampUser(state: unknown, user: unknown): unknown {
  if (state === null) return null;
  if (typeof state !== "object" || Array.isArray(state)) return { user };
  return { ...(state as Record<string, unknown>), user };
}
