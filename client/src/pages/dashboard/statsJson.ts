import type { DashboardStatsEntry } from "@tessera/shared-crdt/api";

/**
 * A `stats.json` entry (Pixano spec §3.6) as the dashboard draws it: categorical histograms as bars per value,
 * numerical ones as bins, counts summed over the splits (each bin is listed once per split in the file).
 */
export type StatsBars =
  | { readonly kind: "categorical"; readonly items: { label: string; count: number }[] }
  | { readonly kind: "numerical"; readonly bins: { start: number; end: number; count: number }[] };

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

export function statsBars(entry: DashboardStatsEntry): StatsBars {
  if (entry.type === "numerical") {
    const bins = new Map<string, { start: number; end: number; count: number }>();
    for (const b of entry.histogram) {
      const start = num(b.bin_start);
      const end = num(b.bin_end);
      const key = `${start}\u0000${end}`;
      const hit = bins.get(key) ?? { start, end, count: 0 };
      hit.count += num(b.counts);
      bins.set(key, hit);
    }
    return { kind: "numerical", bins: [...bins.values()].sort((a, b) => a.start - b.start) };
  }
  const items = new Map<string, number>();
  for (const b of entry.histogram) {
    const label = String(b[entry.name] ?? "");
    items.set(label, (items.get(label) ?? 0) + num(b.counts));
  }
  // The file's order (Pixano sorts the values); equal labels from several splits summed.
  return { kind: "categorical", items: [...items].map(([label, count]) => ({ label, count })) };
}
