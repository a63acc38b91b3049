/**
 * The LanceDB table versions a snapshot's rows are known to match (kept in the snapshot's meta):
 * at `base` the record's rows were read and found equal to `rowsDigest`'s rows (or were made so
 * by the commits in `own`), and `own` lists, per table, the commits the fold that saved the
 * snapshot made itself — exactly those versions, from the commits' own results. Any other version
 * past `base` is someone else's commit (Pixano, REST from another process, Python's `lancedb`,
 * a compaction, a schema change): the rows may have moved and a load reads them.
 */
export interface TableVersions {
  readonly base: Readonly<Record<string, number>>;
  readonly own: Readonly<Record<string, readonly number[]>>;
}

/** The tables' current versions as stored in a snapshot (no own commits yet). */
export function versionsAt(current: ReadonlyMap<string, number>): TableVersions {
  return { base: Object.fromEntries(current), own: {} };
}

/**
 * True when no commit other than `saved.own` happened on any table since `saved.base`, and no
 * table appeared or disappeared: the record's rows are then exactly the snapshot's, with no read.
 * A table whose version went down was dropped and re-created: moved.
 */
export function rowsUnmovedSince(saved: TableVersions, current: ReadonlyMap<string, number>): boolean {
  const tables = Object.keys(saved.base);
  if (tables.length !== current.size) return false;
  for (const t of tables) {
    const was = saved.base[t];
    const now = current.get(t);
    if (was === undefined || now === undefined || now < was) return false;
    if (now === was) continue;
    const own = saved.own[t] ?? [];
    if (now - was > own.length) return false;
    for (let v = was + 1; v <= now; v++) if (!own.includes(v)) return false;
  }
  return true;
}

/** Collects the versions of the commits a fold makes, per table (a `CommitListener`). */
export class OwnCommits {
  private readonly byTable = new Map<string, number[]>();

  readonly listener = (table: string, version: number): void => {
    let list = this.byTable.get(table);
    if (!list) this.byTable.set(table, (list = []));
    list.push(version);
  };

  /** `base` with this fold's commits as its own. */
  on(base: ReadonlyMap<string, number>): TableVersions {
    return { base: Object.fromEntries(base), own: Object.fromEntries(this.byTable) };
  }
}

/** Parses the `lance` field of a snapshot's meta; null when absent or not of this shape (the load then reads rows). */
export function parseTableVersions(v: unknown): TableVersions | null {
  if (typeof v !== "object" || v === null) return null;
  const { base, own } = v as { base?: unknown; own?: unknown };
  if (typeof base !== "object" || base === null || typeof own !== "object" || own === null) return null;
  const b: Record<string, number> = {};
  for (const [t, n] of Object.entries(base)) {
    if (!Number.isSafeInteger(n)) return null;
    b[t] = n as number;
  }
  const o: Record<string, number[]> = {};
  for (const [t, list] of Object.entries(own)) {
    if (!Array.isArray(list) || !list.every((n) => Number.isSafeInteger(n))) return null;
    o[t] = list as number[];
  }
  return { base: b, own: o };
}
