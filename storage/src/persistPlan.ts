import {
  COMPONENT_TABLES,
  RECORD_COLUMNS_OUTSIDE_DOC,
  validateRow,
  type ComponentTable,
  type DatasetSchema,
  type RecordRows,
  type Row,
  type ValidationIssue,
} from "@tessera/shared-crdt";
import { lenientAccepts } from "@tessera/dataset";

/**
 * What a persist writes to LanceDB (SPEC D-ROWS "the persist plan"), computed from three row sets:
 * - `from`: what LanceDB is believed to hold — the last snapshot's rows, or, after a persist that
 *   died half-way, the rows LanceDB actually holds (then the document simply wins);
 * - `ours`: the document's rows (snapshot + log);
 * - `current`: what LanceDB holds now.
 * A row is upserted when the document changed it since `from` and LanceDB does not have it yet;
 * deleted when the document removed it and LanceDB still has it. Rows only LanceDB changed (someone
 * else's write) are left alone: the next load merges them into the document. Rows are validated
 * against the dataset's schema first and must belong to the record; a bad row is left out (and
 * reported) instead of blocking the record's persistence forever.
 */
export interface TablePlan {
  /** Validated rows as they will be stored. */
  readonly upserts: Row[];
  readonly deletes: string[];
}

export interface PersistPlan {
  readonly tables: Map<ComponentTable, TablePlan>;
  /** The record row to upsert (its timestamps are set by the library), or null when nothing changed. */
  readonly record: Row | null;
  /** Whether the record's own fields change (not only `updated_at`). */
  readonly recordFieldsChanged: boolean;
  readonly statusChanged: boolean;
  readonly rejected: ValidationIssue[];
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** Every field of `wanted` has the same value in `stored` (extra stored columns are fine). */
function satisfies(stored: Row | undefined, wanted: Row, skip: ReadonlySet<string> = NONE): boolean {
  if (!stored) return false;
  return Object.entries(wanted).every(([k, v]) => skip.has(k) || same(stored[k], v));
}

const NONE: ReadonlySet<string> = new Set();

function sameRecord(a: Row, b: Row): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => RECORD_COLUMNS_OUTSIDE_DOC.has(k) || same(a[k], b[k]));
}

export function byId(rows: readonly Row[] | undefined): Map<string, Row> {
  return new Map((rows ?? []).map((r) => [r.id as string, r]));
}

export function planPersist(args: {
  schema: DatasetSchema;
  recordId: string;
  from: RecordRows;
  ours: RecordRows;
  current: RecordRows;
  now: () => Date;
}): PersistPlan {
  const { schema, recordId, from, ours, current, now } = args;
  const rejected: ValidationIssue[] = [];
  const tables = new Map<ComponentTable, TablePlan>();
  for (const t of COMPONENT_TABLES) {
    const before = byId(from.tables[t]);
    const stored = byId(current.tables[t]);
    const wanted = byId(ours.tables[t]);
    const plan: TablePlan = { upserts: [], deletes: [] };
    const ts = schema.tables.get(t);
    for (const [id, row] of wanted) {
      const prev = before.get(id);
      if (prev && satisfies(prev, row) && Object.keys(prev).length === Object.keys(row).length) continue;
      if (satisfies(stored.get(id), row)) continue;
      const path = `${t}[${id}]`;
      if (!ts) {
        rejected.push({ path, message: `the dataset has no ${t} table` });
        continue;
      }
      if (row.record_id !== recordId) {
        rejected.push({ path: `${path}.record_id`, message: `must be ${JSON.stringify(recordId)}` });
        continue;
      }
      const r = validateRow(ts, row, { mode: "create", path, ctx: { now } });
      if (r.ok) plan.upserts.push(r.row);
      else if (lenientAccepts(ts, row, r.issues, stored.get(id), { mode: "create", path, ctx: { now } }))
        plan.upserts.push(row);
      else rejected.push(...r.issues);
    }
    for (const id of before.keys()) if (!wanted.has(id) && stored.has(id)) plan.deletes.push(id);
    if (plan.upserts.length > 0 || plan.deletes.length > 0) tables.set(t, plan);
  }

  const wantedRecord: Row = {};
  for (const [k, v] of Object.entries(ours.record)) if (!RECORD_COLUMNS_OUTSIDE_DOC.has(k)) wantedRecord[k] = v;
  wantedRecord.id = recordId;
  let recordFieldsChanged =
    !sameRecord(from.record, ours.record) && !satisfies(current.record, wantedRecord, RECORD_COLUMNS_OUTSIDE_DOC);
  let record: Row | null = null;
  if (recordFieldsChanged || tables.size > 0) {
    const base: Row = {};
    for (const [k, v] of Object.entries(current.record)) if (!RECORD_COLUMNS_OUTSIDE_DOC.has(k)) base[k] = v;
    record = base;
    if (recordFieldsChanged) {
      const candidate = { ...base, ...wantedRecord };
      const ts = schema.tables.get("records");
      const r = ts ? validateRow(ts, candidate, { mode: "create", path: "record", ctx: { now } }) : null;
      if (r && !r.ok) {
        rejected.push(...r.issues);
        recordFieldsChanged = false;
        if (tables.size === 0) record = null;
      } else {
        record = candidate;
      }
    }
  }
  const statusChanged = recordFieldsChanged && record !== null && !same(record.status, current.record.status);
  return { tables, record, recordFieldsChanged, statusChanged, rejected };
}
