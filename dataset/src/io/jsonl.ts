import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parseJsonExact } from "@tessera/shared-crdt";
import { ImportError } from "./errors.js";

/** One non-blank line of a JSONL file, parsed, with its 1-based line number. */
export interface JsonLine {
  readonly line: number;
  readonly value: unknown;
}

/**
 * Streams a JSONL file line by line (blank lines skipped but counted, so numbers match an
 * editor's). A line that is not JSON stops the read with `file:line: invalid JSON (…)`.
 */
export async function* readJsonLines(file: string, displayName = file): AsyncGenerator<JsonLine> {
  const rl = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of rl) {
      n++;
      const text = n === 1 ? raw.replace(/^\uFEFF/, "") : raw;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = parseJsonExact(text); // int64 beyond 2^53 stays exact (S-INT64)
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        throw new ImportError("invalid_json", `invalid JSON (${err.message})`, { file: displayName, line: n });
      }
      yield { line: n, value };
    }
  } finally {
    rl.close();
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array);
}
