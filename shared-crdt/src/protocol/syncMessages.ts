import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

/**
 * y-websocket framing (SPEC P-FRAME): one protocol message per binary frame,
 * `varUint(outer type)` then the payload. 0 = sync (step 1, step 2, update), 1 = awareness,
 * 2 = auth, 3 = query awareness. Tessera adds type 100 for its own client only (a client that asks
 * with `?tessera=1`); stock clients never receive it (they would log "Unable to compute message").
 */
export const MessageType = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3, tessera: 100 } as const;
export const SyncType = { step1: 0, step2: 1, update: 2 } as const;

/** Tessera's own messages (type 100), for clients that asked for them. */
export type TesseraMessage =
  /** Every update this connection sent, up to `count`, is in the write-ahead log (durable). */
  | { kind: "confirmed"; count: number }
  /** An update of this connection was repaired (SPEC D-REPAIR); the issues say why. */
  | {
      kind: "rejected";
      reason: "invalid_rows" | "outside_layout" | "read_only" | "status_via_workflow";
      issues: Array<{ path: string; message: string }>;
    }
  /** The document is loaded and this is the connection's identity and rights. */
  | { kind: "welcome"; sessionId: string; readOnly: boolean; status: string };

export function encodeTesseraMessage(msg: TesseraMessage): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.tessera);
  encoding.writeVarString(e, JSON.stringify(msg));
  return encoding.toUint8Array(e);
}

export class FrameError extends Error {
  override name = "FrameError";
}

/** Decodes the JSON of a type-100 frame (after its type). Throws {@link FrameError}. */
export function decodeTesseraMessage(frame: Uint8Array): TesseraMessage {
  const d = decoding.createDecoder(frame);
  if (decoding.readVarUint(d) !== MessageType.tessera) throw new FrameError("not a tessera message");
  const parsed: unknown = JSON.parse(decoding.readVarString(d));
  if (parsed === null || typeof parsed !== "object" || typeof (parsed as { kind?: unknown }).kind !== "string") {
    throw new FrameError("malformed tessera message");
  }
  return parsed as TesseraMessage;
}

/** Encodes `[0, subtype, varByteArray(payload)]`. */
export function encodeSyncFrame(subtype: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.sync);
  encoding.writeVarUint(e, subtype);
  encoding.writeVarUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

/** Encodes `[1, varByteArray(awarenessUpdate)]`. */
export function encodeAwarenessFrame(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.awareness);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

export type DecodedFrame =
  | { type: "sync"; subtype: number; payload: Uint8Array }
  | { type: "awareness"; update: Uint8Array }
  | { type: "queryAwareness" }
  | { type: "auth"; payload: Uint8Array }
  | { type: "tessera"; json: string };

/**
 * Decodes one frame strictly: a known type, a complete payload and nothing after it. Anything else
 * throws {@link FrameError}, which the server turns into close code 4400.
 */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const d = decoding.createDecoder(frame);
  let out: DecodedFrame;
  try {
    const type = decoding.readVarUint(d);
    switch (type) {
      case MessageType.sync: {
        const subtype = decoding.readVarUint(d);
        if (subtype !== SyncType.step1 && subtype !== SyncType.step2 && subtype !== SyncType.update) {
          throw new FrameError(`unknown sync message ${subtype}`);
        }
        out = { type: "sync", subtype, payload: decoding.readVarUint8Array(d) };
        break;
      }
      case MessageType.awareness:
        out = { type: "awareness", update: decoding.readVarUint8Array(d) };
        break;
      case MessageType.queryAwareness:
        out = { type: "queryAwareness" };
        break;
      case MessageType.auth:
        out = { type: "auth", payload: decoding.readTailAsUint8Array(d) };
        break;
      case MessageType.tessera:
        out = { type: "tessera", json: decoding.readVarString(d) };
        break;
      default:
        throw new FrameError(`unknown message type ${type}`);
    }
  } catch (err) {
    if (err instanceof FrameError) throw err;
    // lib0 throws plain Errors ("Unexpected end of array", "Integer out of Range") on bad input.
    throw new FrameError(`malformed frame: ${(err as Error).message}`);
  }
  if (decoding.hasContent(d)) throw new FrameError("trailing bytes after the message");
  return out;
}
