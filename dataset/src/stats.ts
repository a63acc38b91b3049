import type { Row, TableName, TableSchema } from "@tessera/shared-crdt";
import { compareValues } from "./ordering.js";
import type { StatsEntry } from "./types.js";

/**
 * `stats.json` (Pixano spec §3.6): per-split histograms. Categorical: `split`, `status`, custom
 * string record fields and the entities' `category`; numerical: image `width`/`height` in
 * {@link NUM_BINS} equal bins over the whole range.
 */
export const NUM_BINS = 10;

export interface StatsSource {
  /** Schema of a table present on disk, or null. */
  schemaOf(table: TableName): Promise<TableSchema | null>;
  /** Every row of a table, only these columns. */
  rows(table: TableName, columns: readonly string[]): Promise<Row[]>;
}

function categorical(name: string, values: ReadonlyArray<{ value: unknown; split: string }>): StatsEntry {
  const counts = new Map<string, { value: string | number; split: string; n: number }>();
  for (const { value, split } of values) {
    const v = typeof value === "number" ? value : String(value);
    const key = JSON.stringify([v, split]);
    const hit = counts.get(key);
    if (hit) hit.n++;
    else counts.set(key, { value: v, split, n: 1 });
  }
  const histogram = [...counts.values()]
    .sort((a, b) => compareValues(a.value, b.value) || compareValues(a.split, b.split))
    .map((c) => ({ [name]: c.value, counts: c.n, split: c.split }));
  return { name, type: "categorical", histogram, range: null };
}

function numerical(name: string, values: ReadonlyArray<{ value: number; split: string }>): StatsEntry | null {
  if (values.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const { value } of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const bins = min === max ? 1 : NUM_BINS;
  const width = (max - min) / bins || 1;
  const splits = [...new Set(values.map((v) => v.split))].sort(compareValues);
  const counts = new Map<string, number[]>(splits.map((s) => [s, new Array<number>(bins).fill(0)]));
  for (const { value, split } of values) {
    const bin = Math.min(bins - 1, Math.floor((value - min) / width));
    counts.get(split)![bin]!++;
  }
  const histogram: StatsEntry["histogram"] = [];
  for (let b = 0; b < bins; b++) {
    for (const split of splits) {
      histogram.push({
        bin_start: min + b * width,
        bin_end: b === bins - 1 ? max : min + (b + 1) * width,
        counts: counts.get(split)![b]!,
        split,
      });
    }
  }
  return { name, type: "numerical", histogram, range: [min, max] };
}

export async function computeStats(source: StatsSource): Promise<StatsEntry[]> {
  const out: StatsEntry[] = [];
  const records = await source.schemaOf("records");
  if (!records) return out;
  const names = records.columns.map((c) => c.name);
  const custom = records.columns.filter((c) => c.source === "custom" && c.type.kind === "utf8").map((c) => c.name);
  const categoricalColumns = ["split", "status", ...custom].filter((c) => names.includes(c));
  const recordRows = await source.rows("records", ["id", ...categoricalColumns]);
  const text = (v: unknown): string => (typeof v === "string" ? v : "");
  const splitOf = new Map(recordRows.map((r) => [text(r.id), typeof r.split === "string" ? r.split : "default"]));
  for (const c of categoricalColumns) {
    out.push(
      categorical(
        c,
        recordRows.map((r) => ({ value: r[c], split: splitOf.get(text(r.id)) ?? "default" })),
      ),
    );
  }
  const entities = await source.schemaOf("entities");
  if (entities?.columns.some((c) => c.name === "category" && c.type.kind === "utf8")) {
    const rows = await source.rows("entities", ["id", "record_id", "category"]);
    out.push(
      categorical(
        "category",
        rows.map((r) => ({ value: r.category, split: splitOf.get(text(r.record_id)) ?? "" })),
      ),
    );
  }
  for (const table of ["images", "sequence_frames"] as const) {
    const schema = await source.schemaOf(table);
    if (!schema) continue;
    const rows = await source.rows(table, ["id", "record_id", "width", "height"]);
    for (const dim of ["width", "height"]) {
      const entry = numerical(
        dim,
        rows.map((r) => ({ value: Number(r[dim]), split: splitOf.get(text(r.record_id)) ?? "" })),
      );
      if (entry) out.push(entry);
    }
    break;
  }
  return out;
}
