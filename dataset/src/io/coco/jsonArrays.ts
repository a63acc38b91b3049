import { createReadStream } from "node:fs";
import { ImportError } from "../errors.js";

/**
 * Streams the items of some top-level arrays of one JSON object (`{"images": [...], ...}`) without
 * holding the file: a byte scanner follows strings and nesting, cuts out each item of a wanted
 * array and parses that item alone. Memory is one read chunk plus the largest item, whatever the
 * file's size (Pixano 0.8 streams the same arrays with ijson). Structural characters are ASCII,
 * and UTF-8 never puts `"` or `\` inside a multi-byte character, so scanning bytes is exact.
 */
export interface ArrayItem {
  readonly key: string;
  readonly index: number;
  readonly value: unknown;
}

export interface ScanLimits {
  /** Largest single item, in bytes. */
  readonly maxItemBytes: number;
  /** Most items per array. */
  readonly maxItems: number;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export async function* streamArrays(
  file: string,
  displayName: string,
  keys: ReadonlySet<string>,
  limits: ScanLimits,
): AsyncGenerator<ArrayItem> {
  const fail = (pointer: string, detail: string, reason: "invalid_json" | "invalid_value" = "invalid_json"): never => {
    throw new ImportError(reason, detail, { file: displayName, pointer });
  };
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let ended = false;
  /** At depth 1: the next string is a key. */
  let expectKey = false;
  let keyBytes: number[] | null = null;
  let currentKey: string | null = null;
  let afterColon = false;
  /** The wanted array being read (its items are at depth 2), or null. */
  let arrayKey: string | null = null;
  let index = 0;
  /** The item being cut out: parts from earlier chunks, start in this chunk (-1: none), container or scalar. */
  let parts: Buffer[] = [];
  let partBytes = 0;
  let start = -1;
  let scalar = false;
  let first = true;

  for await (const raw of createReadStream(file)) {
    let chunk = raw as Buffer;
    if (first) {
      first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const out: ArrayItem[] = [];
    const finish = (end: number): void => {
      const key = arrayKey!;
      parts.push(chunk.subarray(start, end));
      const text = Buffer.concat(parts).toString("utf8");
      parts = [];
      partBytes = 0;
      start = -1;
      scalar = false;
      const pointer = `/${key}/${index}`;
      if (index >= limits.maxItems) fail(`/${key}`, `more than ${limits.maxItems} ${key} in one file`, "invalid_value");
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        fail(pointer, `invalid JSON (${err.message})`);
      }
      out.push({ key, index, value });
      index++;
    };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) {
          inString = false;
          if (keyBytes !== null) {
            currentKey = JSON.parse(`"${Buffer.from(keyBytes).toString("utf8")}"`) as string;
            keyBytes = null;
            expectKey = false;
            continue;
          }
        }
        if (keyBytes !== null) {
          keyBytes.push(b);
          if (keyBytes.length > 1024) fail("", "an object key is longer than 1024 bytes");
        }
        continue;
      }
      if (WS.has(b)) continue;
      if (ended) fail("", "unexpected data after the top-level object");
      if (!started) {
        if (b !== 0x7b) fail("", "a COCO instances file must be a JSON object", "invalid_value");
        started = true;
        depth = 1;
        expectKey = true;
        continue;
      }
      // A value of the top-level object starts.
      if (depth === 1 && afterColon) {
        afterColon = false;
        const wanted = currentKey !== null && keys.has(currentKey);
        if (wanted && b === 0x5b) {
          arrayKey = currentKey;
          index = 0;
          depth = 2;
          continue;
        }
        if (wanted && b !== 0x6e /* null */) fail(`/${currentKey}`, `${currentKey} must be a list`, "invalid_value");
      }
      // An item of the wanted array starts.
      if (depth === 2 && arrayKey !== null && start === -1 && b !== 0x2c && b !== 0x5d) {
        start = i;
        scalar = b !== 0x7b && b !== 0x5b;
      }
      switch (b) {
        case QUOTE:
          inString = true;
          if (depth === 1 && expectKey) keyBytes = [];
          break;
        case 0x7b:
        case 0x5b:
          depth++;
          break;
        case 0x7d:
        case 0x5d:
          if (depth === 2 && arrayKey !== null) {
            if (start !== -1 && scalar) finish(i);
            if (start !== -1) fail(`/${arrayKey}/${index}`, "invalid JSON (unbalanced brackets)");
            arrayKey = null;
          }
          depth--;
          if (depth === 0) ended = true;
          else if (depth === 2 && arrayKey !== null && start !== -1) finish(i + 1);
          break;
        case 0x2c:
          if (depth === 1) {
            expectKey = true;
            currentKey = null;
          } else if (depth === 2 && arrayKey !== null && start !== -1 && scalar) finish(i);
          break;
        case 0x3a:
          if (depth === 1) afterColon = true;
          break;
        default:
          break;
      }
    }
    if (start !== -1) {
      const rest = chunk.subarray(start);
      parts.push(Buffer.from(rest));
      partBytes += rest.length;
      // The next chunk continues the item from its first byte.
      start = 0;
      if (partBytes > limits.maxItemBytes)
        fail(`/${arrayKey ?? ""}/${index}`, `an item is larger than ${limits.maxItemBytes} bytes`, "invalid_value");
    }
    yield* out;
  }
  if (!started) fail("", "invalid JSON (the file is empty)");
  if (!ended || inString) fail("", "invalid JSON (unexpected end of the file)");
}
