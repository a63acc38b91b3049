import { promises as fs } from "node:fs";
import path from "node:path";
import { Value } from "@sinclair/typebox/value";
import { Type } from "@sinclair/typebox";
import { DashboardStatsEntry } from "@tessera/shared-crdt/api";

/**
 * The dataset's `stats.json` (Pixano spec §3.6), passed through for the dashboard's histograms. The file is
 * Pixano's and stays as it is: one that cannot be read or is not a list of entries is reported, never rewritten.
 */

export interface StatsJson {
  readonly entries: DashboardStatsEntry[] | null;
  readonly error: string | null;
}

const Entries = Type.Array(DashboardStatsEntry);

export async function readStatsJson(datasetDir: string): Promise<StatsJson> {
  let text: string;
  try {
    text = await fs.readFile(path.join(datasetDir, "stats.json"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { entries: null, error: null };
    throw err;
  }
  let json: unknown;
  try {
    // Python's json.dump writes NaN/Infinity for such floats; they are not JSON, and not a histogram either.
    json = JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return { entries: null, error: `stats.json is not JSON: ${err.message}` };
    throw err;
  }
  if (!Value.Check(Entries, json)) {
    const first = Value.Errors(Entries, json).First();
    const where = first ? `${first.path || "/"}: ${first.message}` : "not a list of histograms";
    return { entries: null, error: `stats.json is not a list of histograms (${where})` };
  }
  return { entries: json, error: null };
}
