import { promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Dataset } from "@tessera/dataset";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runTessera as tessera, type CliRun } from "../support/cli.js";

/**
 * SPEC S-IMPORT at the CLI: the real `tessera data import` (`node bin/tessera.mjs`, child process) on
 * the edge-case sources Pixano 0.8.0 was run on (fixtures/pixano-built/sources/verdicts; its
 * verdicts in reference/verdicts.json, see make_verdicts.py) exits as Pixano does — 0 and the
 * same number of records, or 1, a located error and nothing written.
 */
const BUILT = path.join(ROOT, "fixtures", "pixano-built");

interface Verdict {
  readonly exit_code: number;
  readonly verdict: "imported" | "rejected";
  readonly tables?: Record<string, unknown[]>;
}
/** The reference has integers beyond 2^53; only its verdicts and row counts are read here. */
const VERDICTS = JSON.parse(readFileSync(path.join(BUILT, "reference", "verdicts.json"), "utf8")) as Record<
  string,
  Verdict
>;

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-verdicts-"));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function importCase(name: string, tag = ""): Promise<{ run: CliRun; dataDir: string }> {
  const dataDir = path.join(work, `${name}${tag}`);
  await fs.mkdir(dataDir, { recursive: true });
  const run = await tessera(["data", "import", dataDir, path.join(BUILT, "sources", "verdicts", name)]);
  return { run, dataDir };
}

/** The int64 cells of one column, read from LanceDB as Arrow (bigint: nothing rounded on the way). */
async function int64Column(
  datasetPath: string,
  table: "records" | "entities",
  column: string,
): Promise<Map<string, bigint>> {
  const ds = await Dataset.open(datasetPath);
  try {
    const t = await ds.table(table);
    const arrow = await t!.table.query().select(["id", column]).toArrow();
    const ids = arrow.getChild("id")!;
    const values = arrow.getChild(column)!;
    return new Map(Array.from({ length: arrow.numRows }, (_, i) => [ids.get(i) as string, values.get(i) as bigint]));
  } finally {
    ds.close();
  }
}

describe("tessera data import: the verdicts of Pixano 0.8.0", () => {
  it.each([
    ["big_ints", "ints beyond ±(2^53−1) are imported"],
    ["custom_status", "a custom record status is imported"],
    ["slash_ids", "`/` in a record id is imported"],
    ["reversed_xyxy", "a reversed xyxy box is imported"],
    ["mask_counts_text", "non-RLE mask counts are imported"],
    ["one_empty_split", "an empty split next to a full one is imported"],
    ["lax_scalars", "attr values in another JSON type that Pixano converts are imported"],
    ["lax_grammar", "grammar values in another JSON type that Pixano converts are imported"],
  ])("%s: %s (exit 0, same record count)", async (name) => {
    const ref = VERDICTS[name]!;
    expect(ref.verdict).toBe("imported");
    const { run } = await importCase(name);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`built successfully (${ref.tables!.records!.length} records)`);
  });

  it.each([
    ["empty_metadata", /verdicts\/empty_metadata: no records were found to import in train\/; nothing was imported/],
    ["header_only", /verdicts\/header_only: no records were found to import in train\/; nothing was imported/],
    [
      "v1_empty_metadata",
      /verdicts\/v1_empty_metadata: no records were found to import in train\/; nothing was imported/,
    ],
    [
      "int64_overflow",
      /int64_overflow\/train\/metadata\.jsonl:2: records\.count: 9223372036854775808 does not fit a 64-bit integer/,
    ],
    [
      "mask_counts_list",
      /mask_counts_list\/train\/metadata\.jsonl:2:\/entities\/0\/annotations\/0\/rle\/counts: expected a string, got a list/,
    ],
    ["lax_int_fraction", /lax_int_fraction\/train\/metadata\.jsonl:2: records\.count: must be an integer, got "3\.5"/],
  ])("%s: refused like Pixano (exit 1, located error, nothing written)", async (name, message) => {
    expect(VERDICTS[name]!.verdict).toBe("rejected");
    expect(VERDICTS[name]!.exit_code).toBe(1);
    const { run, dataDir } = await importCase(name);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).not.toContain("built successfully");
    expect(await fs.readdir(path.join(dataDir, "library")).catch(() => [])).toEqual([]);
  });

  it("writes ints beyond ±(2^53−1) exactly to the int64 columns (the values Pixano stored)", async () => {
    const { run, dataDir } = await importCase("big_ints", "-exact");
    expect(run.code).toBe(0);
    const datasetPath = path.join(dataDir, "library", "verdict_big_ints");
    const counts = await int64Column(datasetPath, "records", "count");
    const ranks = await int64Column(datasetPath, "entities", "rank");
    expect([...counts.values()].sort()).toEqual([-9007199254740992n, 9007199254740993n, 9223372036854775807n].sort());
    expect([...ranks.values()].sort()).toEqual([-9223372036854775808n, -9007199254740993n, 9007199254740991n].sort());
  });
});
