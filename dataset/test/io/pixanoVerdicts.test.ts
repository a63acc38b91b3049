import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, describe, expect, it } from "vitest";
import { parseJsonExact } from "@tessera/shared-crdt";
import { ImportError, importDataset } from "../../src/io/index.js";
import { PIXANO_BUILT, tempDir } from "./helpers.js";

/**
 * SPEC S-IMPORT: `tessera data import` must give the verdicts Pixano 0.8.0 gives. Each source under
 * fixtures/pixano-built/sources/verdicts was imported by Pixano 0.8.0 itself (make_verdicts.py);
 * reference/verdicts.json holds its verdict and every row it wrote. Here the same sources are
 * imported and the rows read back straight from LanceDB (int64 as bigint, so nothing is rounded
 * on the way) and compared value for value, ids included.
 */
type RefRow = Record<string, unknown>;
interface Verdict {
  readonly verdict: "imported" | "rejected";
  readonly findings: string[];
  readonly tables?: Record<string, RefRow[]>;
}

const VERDICTS = parseJsonExact(readFileSync(path.join(PIXANO_BUILT, "reference", "verdicts.json"), "utf8")) as Record<
  string,
  Verdict
>;
/** Columns the reference leaves out: media bytes and import-time timestamps. */
const SKIP = new Set(["raw_bytes", "preview", "created_at", "updated_at"]);

const CASES: Array<[string, string, string | null]> = [
  ["big_ints", "keeps integers beyond ±(2^53−1) exact in int64 columns", null],
  ["int64_overflow", "refuses an integer beyond int64, as Pixano does", "invalid_row"],
  ["custom_status", "imports record statuses outside the workflow values as written", null],
  ["slash_ids", "imports `/` and `\\` in record, entity and annotation ids", null],
  ["reversed_xyxy", "imports reversed xyxy boxes unchanged (never rewritten)", null],
  ["mask_counts_text", "stores mask counts that are not a COCO RLE as Pixano does (the string's bytes)", null],
  ["mask_counts_list", "refuses mask counts given as a list, as Pixano does", "invalid_value"],
  [
    "lax_scalars",
    'imports attr values Pixano\'s pydantic models convert ("3", "1_000", 5.0, true, "yes", "1e3")',
    null,
  ],
  ["lax_grammar", 'imports grammar values Pixano\'s models convert (string coords, "yes" flags, "8" widths)', null],
  ["lax_int_fraction", 'refuses "3.5" for an int attr, as Pixano does', "invalid_row"],
  ["lax_bool_two", "refuses 2 for a bool attr, as Pixano does", "invalid_row"],
  ["lax_str_number", "refuses a number for a str attr, as Pixano does", "invalid_row"],
  ["empty_metadata", "refuses an empty metadata.jsonl (Pixano's empty_source)", "empty_source"],
  ["header_only", "refuses a metadata.jsonl with only a header (no record)", "empty_source"],
  [
    "v1_empty_metadata",
    "refuses an empty metadata.jsonl in a folder without dataset.yaml (v1 dialect)",
    "empty_source",
  ],
  ["one_empty_split", "imports a source where only one split is empty", null],
];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

/** A cell as the reference writes it: bytes as base64, int64 as a number when exact, else bigint. */
function normal(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (v instanceof Uint8Array) return { __bytes__: Buffer.from(v).toString("base64") };
  if (Array.isArray(v)) return v.map(normal);
  if (v !== null && typeof v === "object" && "__bytes__" in v) return v;
  if (v !== null && typeof v === "object" && typeof (v as { toArray?: unknown }).toArray === "function") {
    return Array.from((v as { toArray(): ArrayLike<unknown> }).toArray(), normal);
  }
  return v;
}

function comparable(rows: readonly RefRow[]): RefRow[] {
  return rows
    .map((r) =>
      Object.fromEntries(
        Object.entries(r)
          .filter(([k]) => !SKIP.has(k))
          .map(([k, v]) => [k, normal(v)]),
      ),
    )
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** Every row of every table, read with LanceDB itself: int64 stays bigint, binary stays bytes. */
async function readExact(datasetPath: string): Promise<Record<string, RefRow[]>> {
  const db = await lancedb.connect(path.join(datasetPath, "db"));
  try {
    const out: Record<string, RefRow[]> = {};
    for (const name of await db.tableNames()) {
      const table = await db.openTable(name);
      const arrow = await table.query().toArrow();
      out[name] = arrow.toArray().map((r: { toJSON(): RefRow }) => r.toJSON());
      table.close();
    }
    return out;
  } finally {
    db.close();
  }
}

describe("tessera data import gives Pixano 0.8.0's verdicts", () => {
  it("covers every case Pixano was run on", () => {
    expect(CASES.map(([c]) => c).sort()).toEqual(Object.keys(VERDICTS).sort());
  });

  it.each(CASES)("%s: %s", async (name, _title, reason) => {
    const ref = VERDICTS[name]!;
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const source = path.join(PIXANO_BUILT, "sources", "verdicts", name);
    if (ref.verdict === "rejected") {
      const err = await importDataset({ dataDir, source }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ImportError);
      expect((err as ImportError).reason).toBe(reason);
      // Nothing written: no dataset folder, no staging left behind.
      expect(await fs.readdir(path.join(dataDir, "library")).catch(() => [])).toEqual([]);
      return;
    }
    expect(reason).toBeNull();
    const report = await importDataset({ dataDir, source });
    const ours = await readExact(report.path);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(ref.tables!).sort());
    for (const [table, rows] of Object.entries(ref.tables!)) {
      expect(comparable(ours[table]!), table).toEqual(comparable(rows));
    }
  });
});
