import type { ComponentTable } from "@tessera/shared-crdt";
import type { DatasetHandle } from "@tessera/dataset";
import { rowOwners } from "./rowOwners.js";

/** Ids looked up together at most (one `id IN (…)` filter). */
const MAX_IDS = 4096;

interface Waiter {
  readonly ids: readonly string[];
  resolve(owners: ReadonlyMap<string, string>): void;
  reject(error: unknown): void;
}

interface Lane {
  readonly waiting: Waiter[];
  running: boolean;
}

/** One lane per open dataset handle and table; they go with the handle. */
const lanes = new WeakMap<DatasetHandle, Map<ComponentTable, Lane>>();

/** Where a lane's lookups run: here (`rowOwners` on the handle), or elsewhere (the persist worker). */
export type OwnerQuery = (table: ComponentTable, ids: readonly string[]) => Promise<ReadonlyMap<string, string>>;

/**
 * `rowOwners` for the rooms of a dataset (SPEC D-OWNER: the owner check after every update that
 * adds rows), with the lookups of one table that arrive while another runs gathered into the next
 * one: a burst of first edits on 1,000 records costs a few `id IN (…)` queries per table instead of
 * one per record and table, which kept the server's main thread decoding Arrow batches while the
 * edits waited. A lookup alone is one plain query. Each caller gets the owners of its own ids (those
 * that exist); a failed query fails each of its lookups. `query` runs each gathered lookup (default:
 * `rowOwners` on `dataset`, on this thread); the lanes are per handle and table whatever runs them.
 */
export function rowOwnersBatched(
  dataset: DatasetHandle,
  table: ComponentTable,
  ids: readonly string[],
  query: OwnerQuery = (t, i) => rowOwners(dataset, t, i),
): Promise<ReadonlyMap<string, string>> {
  if (ids.length === 0) return Promise.resolve(new Map<string, string>());
  let tables = lanes.get(dataset);
  if (!tables) lanes.set(dataset, (tables = new Map()));
  let lane = tables.get(table);
  if (!lane) tables.set(table, (lane = { waiting: [], running: false }));
  const l = lane;
  return new Promise<ReadonlyMap<string, string>>((resolve, reject) => {
    l.waiting.push({ ids, resolve, reject });
    if (!l.running) void drain(table, l, query);
  });
}

/** The next lookups of a lane, up to MAX_IDS ids (always at least one lookup, however many ids it has). */
function nextBatch(lane: Lane): Waiter[] {
  let n = 0;
  let count = 0;
  while (n < lane.waiting.length) {
    const size = lane.waiting[n]?.ids.length ?? 0;
    if (n > 0 && count + size > MAX_IDS) break;
    count += size;
    n++;
  }
  return lane.waiting.splice(0, n);
}

async function drain(table: ComponentTable, lane: Lane, query: OwnerQuery): Promise<void> {
  lane.running = true;
  try {
    while (lane.waiting.length > 0) {
      const batch = nextBatch(lane);
      try {
        const all = await query(table, [...new Set(batch.flatMap((w) => w.ids))]);
        for (const w of batch) {
          const own = new Map<string, string>();
          for (const id of w.ids) {
            const owner = all.get(id);
            if (owner !== undefined) own.set(id, owner);
          }
          w.resolve(own);
        }
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
  } finally {
    lane.running = false;
  }
}
