import type { DatasetHandle } from "@tessera/dataset";
import { DASHBOARD_MAX_CATEGORIES, type DashboardLabelKind } from "@tessera/shared-crdt/api";
import type { TableName } from "@tessera/shared-crdt";
import { scanAll } from "../http/scan.js";

/**
 * Label distribution (SPEC D-DASH) from the current rows: entities by their category, and the rows of every
 * annotation table by the category of the entity they belong to. The category is the entities' `category` column,
 * else their `name` (entity-linking datasets); rows without one count as {@link NO_CATEGORY}. Tables without rows,
 * and annotation tables without `entity_id` (messages), are not listed.
 */

const NO_CATEGORY = "(none)";
const LABEL_COLUMNS = ["category", "name"] as const;

function labelColumn(handle: DatasetHandle): string | null {
  const entities = handle.schema.tables.get("entities");
  if (!entities) return null;
  for (const name of LABEL_COLUMNS) {
    if (entities.columns.some((c) => c.name === name && c.type.kind === "utf8")) return name;
  }
  return null;
}

function text(v: unknown): string {
  return typeof v === "string" && v !== "" ? v : NO_CATEGORY;
}

/** Counts to a kind's entry: most frequent first (then by name), the tail past the cap summed in `others`. */
function labelKind(kind: string, counts: ReadonlyMap<string, number>): DashboardLabelKind {
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let total = 0;
  for (const [, n] of sorted) total += n;
  const shown = sorted.slice(0, DASHBOARD_MAX_CATEGORIES);
  const others = sorted.slice(DASHBOARD_MAX_CATEGORIES).reduce((a, [, n]) => a + n, 0);
  return { kind, total, categories: shown.map(([category, count]) => ({ category, count })), others };
}

export async function labelDistribution(handle: DatasetHandle): Promise<DashboardLabelKind[]> {
  const present = new Set(await handle.tables());
  if (!present.has("entities")) return [];
  const column = labelColumn(handle);
  const entities = await scanAll(handle, "entities", { columns: column ? ["id", column] : ["id"] });
  const categoryOf = new Map<string, string>();
  const entityCounts = new Map<string, number>();
  for (const r of entities) {
    const c = column ? text(r[column]) : NO_CATEGORY;
    categoryOf.set(String(r.id), c);
    entityCounts.set(c, (entityCounts.get(c) ?? 0) + 1);
  }
  const out: DashboardLabelKind[] = [labelKind("entities", entityCounts)];
  const annotationTables = [...handle.schema.tables.values()]
    // Annotations on an entity (`entity_id`); messages point at several (`entity_ids`) and are not labels.
    .filter((t) => t.table.group === "annotations" && present.has(t.table.name))
    .filter((t) => t.columns.some((c) => c.name === "entity_id"))
    .map((t) => t.table.name)
    .sort();
  for (const table of annotationTables) {
    const rows = await scanAll(handle, table satisfies TableName, { columns: ["entity_id"] });
    if (rows.length === 0) continue;
    const counts = new Map<string, number>();
    for (const r of rows) {
      const c = categoryOf.get(String(r.entity_id)) ?? NO_CATEGORY;
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    out.push(labelKind(table, counts));
  }
  return out;
}
