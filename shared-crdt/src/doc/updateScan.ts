import * as decoding from "lib0/decoding";

/**
 * A header-only reader of Yjs v1 updates: what each struct is, where it goes and how long it is,
 * without building Yjs items (`Y.decodeUpdate` allocates an item, an id and a content object per
 * struct, which costs about as much as applying the update). Content is read only to be skipped.
 */

export interface StructId {
  readonly client: number;
  readonly clock: number;
}

export interface ScannedStruct {
  readonly kind: "gc" | "skip" | "item";
  readonly client: number;
  readonly clock: number;
  readonly length: number;
  readonly origin: StructId | null;
  readonly rightOrigin: StructId | null;
  /** The root type's name when the item names its parent that way. */
  readonly parentKey: string | null;
  /** The parent type's item when the item names its parent that way. */
  readonly parentId: StructId | null;
  readonly parentSub: string | null;
}

export class UpdateScanError extends Error {
  override name = "UpdateScanError";
}

const BIT6 = 32;
const BIT7 = 64;
const BIT8 = 128;
const BITS5 = 31;
// Yjs type refs that carry a node name (XmlElement, XmlHook).
const NAMED_TYPE_REFS: ReadonlySet<number> = new Set([3, 5]);

function readId(d: decoding.Decoder): StructId {
  const client = decoding.readVarUint(d);
  const clock = decoding.readVarUint(d);
  return { client, clock };
}

/** Skips an item's content; returns its length in clock units. */
function skipContent(d: decoding.Decoder, ref: number): number {
  switch (ref) {
    case 1: // deleted
      return decoding.readVarUint(d);
    case 2: {
      // JSON (legacy): a count, then that many JSON strings
      const len = decoding.readVarUint(d);
      for (let i = 0; i < len; i++) decoding.readVarString(d);
      return len;
    }
    case 3: // binary
      decoding.readVarUint8Array(d);
      return 1;
    case 4: // string: its length in UTF-16 code units
      return decoding.readVarString(d).length;
    case 5: // embed
      decoding.readVarString(d);
      return 1;
    case 6: // format: key, value
      decoding.readVarString(d);
      decoding.readVarString(d);
      return 1;
    case 7: {
      // type
      if (NAMED_TYPE_REFS.has(decoding.readVarUint(d))) decoding.readVarString(d);
      return 1;
    }
    case 8: {
      // any: a count, then that many values
      const len = decoding.readVarUint(d);
      for (let i = 0; i < len; i++) decoding.readAny(d);
      return len;
    }
    case 9: // subdocument: guid, options
      decoding.readVarString(d);
      decoding.readAny(d);
      return 1;
    default:
      throw new UpdateScanError(`unknown content type ${ref}`);
  }
}

/** Calls `visit` for every struct of a v1 update, in the order the update holds them. Throws on a malformed update. */
export function scanUpdate(update: Uint8Array, visit: (s: ScannedStruct) => void): void {
  const d = decoding.createDecoder(update);
  try {
    const groups = decoding.readVarUint(d);
    for (let g = 0; g < groups; g++) {
      const count = decoding.readVarUint(d);
      const client = decoding.readVarUint(d);
      let clock = decoding.readVarUint(d);
      for (let i = 0; i < count; i++) {
        const info = decoding.readUint8(d);
        const ref = info & BITS5;
        if (ref === 0 || ref === 10) {
          const length = decoding.readVarUint(d);
          visit({
            kind: ref === 0 ? "gc" : "skip",
            client,
            clock,
            length,
            origin: null,
            rightOrigin: null,
            parentKey: null,
            parentId: null,
            parentSub: null,
          });
          clock += length;
          continue;
        }
        const origin = (info & BIT8) === BIT8 ? readId(d) : null;
        const rightOrigin = (info & BIT7) === BIT7 ? readId(d) : null;
        let parentKey: string | null = null;
        let parentId: StructId | null = null;
        let parentSub: string | null = null;
        if ((info & (BIT7 | BIT8)) === 0) {
          if (decoding.readVarUint(d) === 1) parentKey = decoding.readVarString(d);
          else parentId = readId(d);
          if ((info & BIT6) === BIT6) parentSub = decoding.readVarString(d);
        }
        const length = skipContent(d, ref);
        visit({ kind: "item", client, clock, length, origin, rightOrigin, parentKey, parentId, parentSub });
        clock += length;
      }
    }
  } catch (err) {
    if (err instanceof UpdateScanError) throw err;
    throw new UpdateScanError(`malformed update: ${(err as Error).message}`);
  }
}
