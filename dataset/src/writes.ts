import {
  assertRow,
  formatTimestamp,
  planDelete,
  runDeleteWalkAsync,
  validateRow,
  ValidationError,
  type Row,
  type RowQuery,
  type TableName,
  type TableSchema,
  type ValidationIssue,
} from "@tessera/shared-crdt";
import { arrowTableToRows, rowsToArrowTable } from "./arrowRows.js";
import { DatasetError, IntegrityError, type IntegrityIssue } from "./errors.js";
import { lenientAccepts } from "./lenientRows.js";
import { checkForeignKeys, duplicateIdsInBatch, duplicateIssue, type IdLookup } from "./integrity.js";
import { readRows, scan } from "./reader.js";
import { sqlIn } from "./sql.js";
import type { OpenTable } from "./tableStore.js";
import type { AddOptions, CommitListener, DeleteReport } from "./types.js";

export type { AddOptions };

/**
 * The write path of a dataset: validation (shared-crdt `assertRow`), ids, Pixano's referential
 * rules, record timestamps, and cascading deletes. Callers hold the dataset's write lock.
 */
export interface WriteContext {
  readonly now: () => Date;
  /** Opens an existing table (null if absent). */
  table(name: TableName): Promise<OpenTable | null>;
  /** Opens a table for writing, creating it when the dataset allows (annotation tables, declared ones). */
  tableForWrite(name: TableName): Promise<OpenTable>;
  /** Tables present on disk. */
  present(): Promise<TableName[]>;
}

/** What a table accepts: its on-disk columns plus declared ones an older layout lacks. */
function acceptedSchema(t: OpenTable): TableSchema {
  if (t.layout.missing.length === 0) return t.layout.schema;
  return { ...t.layout.schema, columns: [...t.layout.schema.columns, ...t.layout.missing] };
}

/**
 * A row on the write path: validated against the table's layout (which the disk decides, `arrow.ts`),
 * so of its cells only `id` is known here: a string (S-ID). Typed reads go through `typedRows.ts`.
 */
type IdRow = Row & { id: string };

function isRowObject(r: unknown): r is Row {
  return r !== null && typeof r === "object" && !Array.isArray(r);
}

function hasId(r: Row): r is IdRow {
  return typeof r.id === "string";
}

/** Rows read back by id: a row whose `id` is not a string cannot be addressed and is left out. */
function byId(rows: readonly Row[]): Map<string, Row> {
  return new Map(rows.flatMap((r) => (hasId(r) ? [[r.id, r] as const] : [])));
}

function identified(t: OpenTable, rows: readonly Row[]): IdRow[] {
  return rows.map((r, i) => {
    if (!hasId(r)) throw new ValidationError([{ path: `${t.name}[${i}].id`, message: "must be a non-empty string" }]);
    return r;
  });
}

function validateRows(t: OpenTable, rows: readonly unknown[], now: () => Date, options: AddOptions = {}): IdRow[] {
  if (options.prevalidated) {
    return identified(
      t,
      rows.map((r, i) => {
        if (!isRowObject(r)) throw new ValidationError([{ path: `${t.name}[${i}]`, message: "must be an object" }]);
        // A copy only when the write stamps record timestamps into it; an import's rows are written as given.
        return options.keepTimestamps ? r : { ...r };
      }),
    );
  }
  const schema = acceptedSchema(t);
  return identified(
    t,
    rows.map((r, i) => {
      const id = isRowObject(r) && typeof r.id === "string" ? r.id : i;
      return assertRow(schema, r, { mode: "create", ctx: { now }, path: `${t.name}[${String(id)}]` });
    }),
  );
}

/** Like `validateRows`, but a row may keep the issues its stored version already has (`AddOptions.lenientToStored`). */
async function validateRowsLenient(t: OpenTable, input: readonly unknown[], now: () => Date): Promise<IdRow[]> {
  const schema = acceptedSchema(t);
  const out: Row[] = [];
  // `row` is null for input that is not even an object: nothing to be lenient about.
  const failed: Array<{ index: number; id: string; row: Row | null; issues: ValidationIssue[]; path: string }> = [];
  input.forEach((r, i) => {
    const id = isRowObject(r) && typeof r.id === "string" ? r.id : "";
    const path = `${t.name}[${id === "" ? String(i) : id}]`;
    const v = validateRow(schema, r, { mode: "create", ctx: { now }, path });
    if (v.ok) out[i] = v.row;
    else failed.push({ index: i, id, row: isRowObject(r) ? r : null, issues: v.issues, path });
  });
  if (failed.length === 0) return identified(t, out);
  const stored = await storedRows(
    t,
    failed.map((f) => f.id).filter((id) => id !== ""),
  );
  const issues: ValidationIssue[] = [];
  for (const f of failed) {
    if (
      f.row &&
      lenientAccepts(schema, f.row, f.issues, stored.get(f.id), { mode: "create", ctx: { now }, path: f.path })
    )
      out[f.index] = f.row;
    else issues.push(...f.issues);
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return identified(t, out);
}

/** Reads `id` (+ `entity_id`) of the given ids of a table; used by the foreign-key checks. */
function idLookup(ctx: WriteContext): IdLookup {
  return async (name, ids) => {
    const t = await ctx.table(name);
    if (!t || ids.length === 0) return [];
    const hasEntity = t.layout.schema.columns.some((c) => c.name === "entity_id");
    const table = await scan(t, sqlIn("id", ids), hasEntity ? ["id", "entity_id"] : ["id"]);
    const idCol = table.getChild("id")!;
    const entityCol = hasEntity ? table.getChild("entity_id") : null;
    const out: Array<{ id: string; entity_id?: string }> = [];
    for (let i = 0; i < table.numRows; i++) {
      const hit: { id: string; entity_id?: string } = { id: idCol.get(i) as string };
      if (entityCol) hit.entity_id = entityCol.get(i) as string;
      out.push(hit);
    }
    return out;
  };
}

async function existingIds(t: OpenTable, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += 5000) {
    const table = await scan(t, sqlIn("id", ids.slice(i, i + 5000)), ["id"]);
    const col = table.getChild("id")!;
    for (let k = 0; k < table.numRows; k++) out.add(col.get(k) as string);
  }
  return out;
}

function throwIfAny(issues: readonly IntegrityIssue[]): void {
  if (issues.length > 0) throw new IntegrityError(issues);
}

function stripMissing(t: OpenTable, rows: readonly Row[]): Row[] {
  if (t.layout.missing.length === 0) return [...rows];
  return rows.map((r) => {
    const out = { ...r };
    for (const c of t.layout.missing) delete out[c.name];
    return out;
  });
}

interface PreparedAdd {
  readonly t: OpenTable;
  readonly rows: IdRow[];
}

async function prepareAdd(
  ctx: WriteContext,
  name: TableName,
  input: readonly unknown[],
  options: AddOptions,
): Promise<PreparedAdd> {
  const t = await ctx.tableForWrite(name);
  const rows = validateRows(t, input, ctx.now, options);
  if (name === "records" && !options.keepTimestamps) {
    const now = formatTimestamp(ctx.now());
    for (const r of rows) r.created_at = r.updated_at = now;
  }
  return { t, rows };
}

async function checkAdd(
  ctx: WriteContext,
  { t, rows }: PreparedAdd,
  pending: ReadonlyMap<TableName, ReadonlyMap<string, Row>>,
  options: AddOptions,
): Promise<IntegrityIssue[]> {
  const issues = duplicateIdsInBatch(t.name, rows);
  if (!options.newIds) {
    const existing = await existingIds(
      t,
      rows.map((r) => r.id),
    );
    for (const id of existing) issues.push(duplicateIssue(t.name, id));
  }
  if (!options.skipForeignKeys) {
    const columns = t.layout.schema.columns.map((c) => c.name);
    issues.push(...(await checkForeignKeys(t.name, columns, rows, { lookup: idLookup(ctx), pending })));
  }
  return issues;
}

async function commitAdd({ t, rows }: PreparedAdd): Promise<void> {
  await t.table.add(rowsToArrowTable(t.layout.schema, stripMissing(t, rows)) as never);
}

function pendingOf(prepared: readonly PreparedAdd[]): Map<TableName, Map<string, Row>> {
  return new Map(prepared.map((p) => [p.t.name, new Map(p.rows.map((r) => [r.id, r]))]));
}

/** Validates, checks ids and foreign keys, stamps record timestamps, appends. Returns the rows as stored. */
export async function addRows(
  ctx: WriteContext,
  name: TableName,
  input: readonly unknown[],
  options: AddOptions = {},
): Promise<Row[]> {
  if (input.length === 0) return [];
  const prepared = await prepareAdd(ctx, name, input, options);
  throwIfAny(await checkAdd(ctx, prepared, pendingOf([prepared]), options));
  await commitAdd(prepared);
  return prepared.rows;
}

/**
 * Multi-table insert: every table's rows are validated and checked first (rows of the same call
 * satisfy each other's references, like Pixano's `add_records`), then written in `order`.
 */
export async function addManyRows(
  ctx: WriteContext,
  data: ReadonlyArray<readonly [TableName, readonly unknown[]]>,
  options: AddOptions = {},
): Promise<Map<TableName, Row[]>> {
  const prepared: PreparedAdd[] = [];
  for (const [name, input] of data) if (input.length > 0) prepared.push(await prepareAdd(ctx, name, input, options));
  const pending = pendingOf(prepared);
  const issues: IntegrityIssue[] = [];
  for (const p of prepared) issues.push(...(await checkAdd(ctx, p, pending, options)));
  throwIfAny(issues);
  for (const p of prepared) await commitAdd(p);
  return new Map(prepared.map((p) => [p.t.name, p.rows]));
}

async function storedRows(t: OpenTable, ids: readonly string[]): Promise<Map<string, Row>> {
  const columns = t.layout.schema.columns.map((c) => c.name);
  return byId(await readRows(t, { predicate: sqlIn("id", ids), columns, fill: t.layout.missing.map((c) => c.name) }));
}

async function mergeRows(
  t: OpenTable,
  rows: readonly Row[],
  sameRecordOnly = false,
  onCommit?: CommitListener,
): Promise<number> {
  const guarded = sameRecordOnly && t.layout.schema.columns.some((c) => c.name === "record_id");
  const builder = t.table.mergeInsert("id");
  const matched = guarded
    ? builder.whenMatchedUpdateAll({ where: "target.record_id = source.record_id" })
    : builder.whenMatchedUpdateAll();
  const result = await matched
    .whenNotMatchedInsertAll()
    .execute(rowsToArrowTable(t.layout.schema, stripMissing(t, rows)) as never);
  onCommit?.(t.name, result.version);
  return rows.length - result.numInsertedRows - result.numUpdatedRows;
}

/** After a guarded merge skipped rows: which ones, and whose they are (read back, so the error names them). */
async function ownedElsewhere(t: OpenTable, rows: readonly IdRow[]): Promise<IntegrityIssue[]> {
  const stored = await readRows(t, {
    predicate: sqlIn(
      "id",
      rows.map((r) => r.id),
    ),
    columns: ["id", "record_id"],
    fill: [],
  });
  const owner = new Map([...byId(stored)].map(([id, r]) => [id, r.record_id]));
  const issues: IntegrityIssue[] = [];
  for (const r of rows) {
    const id = r.id;
    const other = owner.get(id);
    if (other === undefined || other === r.record_id) continue;
    issues.push({
      table: t.name,
      rowId: id,
      field: "id",
      value: id,
      reason: "duplicate_id",
      message: `Duplicate id '${id}' in table '${t.name}': it belongs to record '${other}', not '${String(r.record_id)}' (not moved).`,
    });
  }
  return issues;
}

/** Cell equality over what rows hold: scalars (int64 as number or bigint), bytes and lists. */
function sameCell(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameCell(x, b[i]));
  return a === b;
}

/** Partial update merged over the stored row, validated in full; `records.updated_at` bumped. */
export async function updateRow(
  ctx: WriteContext,
  name: TableName,
  id: string,
  patch: Readonly<Record<string, unknown>>,
): Promise<Row> {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
    throw new ValidationError([{ path: `${name}[${id}]`, message: "a patch must be an object" }]);
  }
  if ("id" in patch && patch.id !== undefined && patch.id !== id) {
    throw new ValidationError([{ path: `${name}[${id}].id`, message: "cannot be changed" }]);
  }
  const t = await ctx.table(name);
  const stored = t ? (await storedRows(t, [id])).get(id) : undefined;
  if (!t || !stored) throw new DatasetError("row_not_found", `Row '${id}' not found in '${name}'.`);
  const merged: Row = { ...stored };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) merged[k] = v;
  if (name === "records") {
    merged.created_at = stored.created_at;
    merged.updated_at = formatTimestamp(ctx.now());
  }
  const row = assertRow(acceptedSchema(t), merged, { mode: "full", path: `${name}[${id}]` });
  const changed = Object.keys(patch).filter((k) => !sameCell(stored[k], row[k]));
  const recheck = new Set(changed);
  if (recheck.has("entity_id")) for (const f of ["tracklet_id", "entity_dynamic_state_id"]) recheck.add(f);
  const fkColumns = t.layout.schema.columns.map((c) => c.name).filter((c) => recheck.has(c));
  throwIfAny(await checkForeignKeys(name, fkColumns, [row], { lookup: idLookup(ctx) }));
  await mergeRows(t, [row]);
  return row;
}

/** Insert-or-replace by id, validated, no foreign-key checks. */
export async function upsertRows(
  ctx: WriteContext,
  name: TableName,
  input: readonly unknown[],
  options: AddOptions = {},
): Promise<Row[]> {
  if (input.length === 0) return [];
  const t = await ctx.tableForWrite(name);
  const rows = options.lenientToStored
    ? await validateRowsLenient(t, input, ctx.now)
    : validateRows(t, input, ctx.now, options);
  throwIfAny(duplicateIdsInBatch(name, rows));
  if (name === "records" && !options.keepTimestamps) {
    const now = formatTimestamp(ctx.now());
    const stored = await storedCreatedAt(
      t,
      rows.map((r) => r.id),
    );
    for (const r of rows) {
      r.updated_at = now;
      r.created_at = stored.get(r.id) ?? now;
    }
  }
  const skipped = await mergeRows(t, rows, options.sameRecordOnly === true, options.onCommit);
  if (skipped > 0) {
    const issues = await ownedElsewhere(t, rows);
    throwIfAny(
      issues.length > 0
        ? issues
        : [
            {
              table: name,
              rowId: "",
              field: "id",
              value: "",
              reason: "duplicate_id",
              message: `${skipped} row(s) of '${name}' were not written: they belong to another record.`,
            },
          ],
    );
  }
  return rows;
}

async function storedCreatedAt(t: OpenTable, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await readRows(t, { predicate: sqlIn("id", ids), columns: ["id", "created_at"], fill: [] });
  const out = new Map<string, string>();
  for (const [id, r] of byId(rows)) if (typeof r.created_at === "string") out.set(id, r.created_at);
  return out;
}

/** Answers a `planDelete` question from LanceDB: one filtered scan of `id` (and a list field). */
function answerFromTables(ctx: WriteContext): (q: RowQuery) => Promise<string[]> {
  return async (q) => {
    const t = await ctx.table(q.table);
    if (!t || !t.layout.schema.columns.some((c) => c.name === q.field)) return [];
    if (q.many) {
      const wanted = new Set(q.values);
      const rows = arrowTableToRows(t.layout.schema, await scan(t, null, ["id", q.field]));
      const holds = (v: unknown) => Array.isArray(v) && v.some((x) => typeof x === "string" && wanted.has(x));
      return [...byId(rows)].filter(([, r]) => holds(r[q.field])).map(([id]) => id);
    }
    const out: string[] = [];
    for (let i = 0; i < q.values.length; i += 5000) {
      const table = await scan(t, sqlIn(q.field, q.values.slice(i, i + 5000)), ["id"]);
      const col = table.getChild("id")!;
      for (let k = 0; k < table.numRows; k++) out.push(col.get(k) as string);
    }
    return out;
  };
}

/** Deletes exactly these rows of `name` (no cascade): the caller's set is already closed under D-CASCADE. */
export async function deleteExactRows(
  ctx: WriteContext,
  name: TableName,
  ids: readonly string[],
  onCommit?: CommitListener,
): Promise<number> {
  const t = await ctx.table(name);
  if (!t || ids.length === 0) return 0;
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 5000) {
    const result = await t.table.delete(sqlIn("id", unique.slice(i, i + 5000)));
    onCommit?.(name, result.version);
  }
  return unique.length;
}

/**
 * Cascading delete by the shared reference table (SPEC D-CASCADE, `planDelete`): dependents first,
 * then references cleared on rows that stay.
 */
export async function deleteRows(ctx: WriteContext, name: TableName, ids: readonly string[]): Promise<DeleteReport> {
  const report: DeleteReport = {};
  if (ids.length === 0) return report;
  const plan = await runDeleteWalkAsync(planDelete(name, ids), answerFromTables(ctx));
  for (const table of [...plan.deletes.keys()].reverse()) {
    const n = await deleteExactRows(ctx, table, [...plan.deletes.get(table)!]);
    if (n > 0) report[table] = n;
  }
  for (const clear of plan.clears) {
    const t = await ctx.table(clear.table);
    if (!t) continue;
    if (!clear.many) {
      await t.table.update({ where: sqlIn("id", [...clear.ids]), values: { [clear.field]: "" } });
      continue;
    }
    const rows = [...(await storedRows(t, [...clear.ids])).values()];
    for (const r of rows) {
      const v = r[clear.field];
      if (Array.isArray(v)) r[clear.field] = v.filter((x) => typeof x !== "string" || !clear.values.has(x));
    }
    await mergeRows(t, rows);
  }
  return report;
}
