import { formatTimestamp, type Filter, type Row, type SortSpec } from "@tessera/shared-crdt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library, QueryError, type Dataset } from "../src/index.js";
import { removeDir, rng, tempDir } from "./helpers.js";
import { fullInfo } from "./sample.js";

/**
 * Filters, free text, sort and both paginations against an in-memory oracle, on a few hundred
 * seeded-random records; with sorting in memory and by LanceDB's orderBy, before and after indexes.
 */

const N = 300;
const COMMENTS = ["", "Hello", "héllo world", "50% off", "a_b", "it's", "back\\slash", "ÉTÉ", "plain"];
const random = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

function makeRecords(): Row[] {
  const rows: Row[] = [];
  const specials = ["o'neil", "100%_x", "É-12", "semi;colon", "UPPER"];
  for (let i = 0; i < N; i++) {
    const base = Date.UTC(2024, 0, 1) + Math.floor(random() * 30) * 86_400_000 + Math.floor(random() * 86_400) * 1000;
    rows.push({
      id: i < specials.length ? specials[i]! : `rec-${Math.floor(random() * 1e6).toString(36)}-${i}`,
      split: pick(["train", "val", "test"]),
      status: pick(["new", "inProgress", "inReview", "validated"]),
      comment: pick(COMMENTS),
      created_at: formatTimestamp(new Date(base), Math.floor(random() * 3) * 250),
      updated_at: formatTimestamp(new Date(base)),
      weather: pick(["sunny", "rainy", "", "Foggy"]),
      capture_hour: Math.floor(random() * 24),
      is_synthetic: random() < 0.3,
      quality: Math.round(random() * 10) / 10,
      tags: [],
    });
  }
  return rows;
}

const micros = (s: string) => Date.parse(`${s.slice(0, 19)}Z`) * 1000 + Number((s.split(".")[1] ?? "").padEnd(6, "0"));

function matches(row: Row, f: Filter): boolean {
  const v = row[f.column];
  const [a = ""] = f.values;
  if (f.column === "created_at") {
    const t = micros(v as string);
    const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(a);
    const x = micros(dayOnly ? `${a}T00:00:00` : a.replace(" ", "T"));
    switch (f.op) {
      case "eq":
        return dayOnly ? t >= x && t < x + 86_400_000_000 : t === x;
      case "lt":
        return t < x;
      case "gte":
        return t >= x;
      case "between":
        return t >= micros(`${a}T00:00:00`) && t < micros(`${f.values[1]}T00:00:00`) + 86_400_000_000;
      default:
        throw new Error(f.op);
    }
  }
  const typed = (s: string): unknown => (typeof v === "number" ? Number(s) : typeof v === "boolean" ? s === "true" : s);
  switch (f.op) {
    case "eq":
      return v === typed(a);
    case "ne":
      return v !== typed(a);
    case "in":
      return f.values.map(typed).includes(v);
    case "nin":
      return !f.values.map(typed).includes(v);
    case "contains":
      return (v as string).includes(a);
    case "lt":
      return (v as number) < Number(a);
    case "lte":
      return (v as number) <= Number(a);
    case "gt":
      return (v as number) > Number(a);
    case "gte":
      return (v as number) >= Number(a);
    default:
      throw new Error(f.op);
  }
}

function oracle(
  rows: readonly Row[],
  filters: readonly Filter[],
  q: string | undefined,
  sort: SortSpec | undefined,
): Row[] {
  let out = rows.filter((r) => filters.every((f) => matches(r, f)));
  if (q)
    out = out.filter((r) =>
      ["id", "comment", "weather"].some((c) => (r[c] as string).toLowerCase().includes(q.toLowerCase())),
    );
  const s = sort ?? { column: "id", order: "asc" };
  const cmp = (a: unknown, b: unknown) => (a === b ? 0 : (a as number) < (b as number) ? -1 : 1);
  return [...out].sort((a, b) => {
    const c = cmp(a[s.column], b[s.column]) * (s.order === "desc" ? -1 : 1);
    return c !== 0 ? c : cmp(a.id, b.id);
  });
}

const CASES: Array<{ filters: Filter[]; q?: string }> = [
  { filters: [] },
  { filters: [{ column: "split", op: "eq", values: ["train"] }] },
  {
    filters: [
      { column: "status", op: "in", values: ["new", "inReview"] },
      { column: "capture_hour", op: "gte", values: ["12"] },
    ],
  },
  {
    filters: [
      { column: "split", op: "nin", values: ["val"] },
      { column: "is_synthetic", op: "eq", values: ["true"] },
    ],
  },
  {
    filters: [
      { column: "quality", op: "lt", values: ["0.5"] },
      { column: "weather", op: "ne", values: ["sunny"] },
    ],
  },
  { filters: [{ column: "comment", op: "contains", values: ["%"] }] },
  { filters: [{ column: "comment", op: "contains", values: ["a_b"] }] },
  { filters: [{ column: "comment", op: "contains", values: ["\\"] }] },
  { filters: [{ column: "comment", op: "eq", values: ["it's"] }] },
  { filters: [{ column: "capture_hour", op: "in", values: ["1", "2", "3", "22"] }] },
  { filters: [{ column: "created_at", op: "eq", values: ["2024-01-05"] }] },
  {
    filters: [
      { column: "created_at", op: "between", values: ["2024-01-03", "2024-01-09"] },
      { column: "quality", op: "gte", values: ["0.3"] },
    ],
  },
  { filters: [{ column: "created_at", op: "lt", values: ["2024-01-10T12:00:00"] }] },
  { filters: [], q: "HÉLLO" },
  { filters: [], q: "%" },
  { filters: [{ column: "split", op: "eq", values: ["test"] }], q: "o" },
  { filters: [], q: "_x" },
  { filters: [], q: "'" },
  { filters: [{ column: "weather", op: "eq", values: ["nowhere"] }] },
];

const SORTS: Array<SortSpec | undefined> = [
  undefined,
  { column: "id", order: "desc" },
  { column: "split", order: "asc" },
  { column: "capture_hour", order: "desc" },
  { column: "quality", order: "asc" },
  { column: "is_synthetic", order: "desc" },
  { column: "created_at", order: "desc" },
  { column: "weather", order: "asc" },
];

const ids = (rows: readonly Row[]) => rows.map((r) => r.id);

describe("queries against an in-memory oracle", () => {
  let dataDir: string;
  let libraries: Library[] = [];
  let records: Row[];

  beforeAll(async () => {
    dataDir = await tempDir();
    records = makeRecords();
    const creator = new Library(dataDir);
    const ds = await creator.create("q", fullInfo("q"));
    // Several appends: several fragments, like a dataset that grew over time.
    for (let i = 0; i < N; i += 70) await ds.add("records", records.slice(i, i + 70), { keepTimestamps: true });
    await creator.close();
    libraries = [new Library(dataDir), new Library(dataDir, { sortInMemoryBelow: 0 })];
  });
  afterAll(async () => {
    for (const l of libraries) await l.close();
    await removeDir(dataDir);
  });

  for (const phase of ["without indexes", "with indexes and compaction"]) {
    describe(phase, () => {
      beforeAll(async () => {
        if (phase !== "without indexes") await (await libraries[0]!.open("q")).optimize();
      });

      for (const mode of ["in-memory sort", "native orderBy"]) {
        it(`filters, q, sort and offset pagination match the oracle (${mode})`, async () => {
          const ds: Dataset = await libraries[mode === "in-memory sort" ? 0 : 1]!.open("q");
          for (const c of CASES) {
            const expectedSet = oracle(records, c.filters, c.q, undefined);
            expect(await ds.count("records", { filters: c.filters, q: c.q }), JSON.stringify(c)).toBe(
              expectedSet.length,
            );
            for (const sort of SORTS) {
              const label = JSON.stringify({ ...c, sort });
              const expected = ids(oracle(records, c.filters, c.q, sort));
              const all = await ds.query("records", { filters: c.filters, q: c.q, sort });
              expect(all.total, label).toBe(expected.length);
              if (!sort) {
                expect([...ids(all.items)].sort(), label).toEqual([...expected].sort());
                const pages: unknown[] = [];
                for (let offset = 0; offset < expected.length + 50; offset += 50) {
                  pages.push(
                    ...ids((await ds.query("records", { filters: c.filters, q: c.q, offset, limit: 50 })).items),
                  );
                }
                expect(pages, `${label}: storage-order pages`).toEqual(ids(all.items));
                continue;
              }
              expect(ids(all.items), label).toEqual(expected);
              const paged: unknown[] = [];
              for (let offset = 0; offset < expected.length + 37; offset += 37) {
                const page = await ds.query("records", { filters: c.filters, q: c.q, sort, offset, limit: 37 });
                expect(page.total).toBe(expected.length);
                paged.push(...ids(page.items));
              }
              expect(paged, label).toEqual(expected);
            }
          }
        });

        it(`keyset pagination walks the same order (${mode})`, async () => {
          const ds: Dataset = await libraries[mode === "in-memory sort" ? 0 : 1]!.open("q");
          for (const c of CASES.slice(0, 8)) {
            for (const sort of SORTS) {
              const expected = ids(oracle(records, c.filters, c.q, sort));
              const walked: unknown[] = [];
              let after: { id: string; sortValue?: unknown } | undefined;
              for (let guard = 0; guard < 100; guard++) {
                // Keyset order is (sort, id); without a sort it is id ascending, which the first page must ask for.
                const pageSort = sort ?? (after ? undefined : ({ column: "id", order: "asc" } as const));
                const page = await ds.query("records", {
                  filters: c.filters,
                  q: c.q,
                  sort: pageSort,
                  after,
                  limit: 23,
                });
                expect(page.total).toBe(expected.length);
                walked.push(...ids(page.items));
                const last = page.items.at(-1);
                if (!last || page.items.length < 23) break;
                after =
                  guard % 2 === 0
                    ? { id: last.id as string, sortValue: sort ? last[sort.column] : undefined }
                    : { id: last.id as string };
              }
              expect(walked, JSON.stringify({ ...c, sort })).toEqual(expected);
            }
          }
        });
      }

      it("finds neighbours inside the filtered, sorted order", async () => {
        const ds = await libraries[0]!.open("q");
        for (const c of CASES.slice(0, 6)) {
          for (const sort of SORTS) {
            const expected = ids(oracle(records, c.filters, c.q, sort));
            const probes = [0, 1, Math.floor(expected.length / 2), expected.length - 1].filter(
              (i) => i >= 0 && i < expected.length,
            );
            for (const i of probes) {
              const n = await ds.neighbors(expected[i] as string, { filters: c.filters, q: c.q, sort });
              expect(n, JSON.stringify({ ...c, sort, i })).toEqual({
                previous: i > 0 ? expected[i - 1] : null,
                next: i < expected.length - 1 ? expected[i + 1] : null,
                position: i + 1,
                total: expected.length,
              });
            }
            const outside = records.find((r) => !expected.includes(r.id));
            if (outside)
              expect(await ds.neighbors(outside.id as string, { filters: c.filters, q: c.q, sort })).toBeNull();
          }
        }
      });
    });
  }

  it("refuses unknown columns, wrong operators and values with a QueryError", async () => {
    const ds = await libraries[0]!.open("q");
    const bad: Array<[Parameters<Dataset["query"]>[1], string]> = [
      [{ filters: [{ column: "nope", op: "eq", values: ["x"] }] }, "unknown_column"],
      [{ filters: [{ column: "quality", op: "in", values: ["1"] }] }, "bad_operator"],
      [{ filters: [{ column: "capture_hour", op: "eq", values: ["1.5"] }] }, "bad_value"],
      [{ filters: [{ column: "capture_hour", op: "eq", values: ["1 OR 1=1"] }] }, "bad_value"],
      [{ filters: [{ column: "is_synthetic", op: "eq", values: ["maybe"] }] }, "bad_value"],
      [{ filters: [{ column: "created_at", op: "eq", values: ["yesterday"] }] }, "bad_value"],
      [{ filters: [{ column: "tags", op: "eq", values: ["a"] }] }, "not_filterable"],
      [
        { filters: Array.from({ length: 9 }, () => ({ column: "split", op: "eq" as const, values: ["x"] })) },
        "too_many_filters",
      ],
      [{ sort: { column: "tags", order: "asc" } }, "bad_sort"],
      [{ sort: { column: "nope", order: "asc" } }, "bad_sort"],
      [{ q: "x".repeat(300) }, "bad_value"],
      [{ where: { capture_hour: "abc" } }, "bad_value"],
      [{ where: { split: 3 } }, "bad_value"],
      [{ columns: ["nope"] }, "bad_columns"],
      [{ limit: -1 }, "bad_pagination"],
      [{ offset: 1.5 }, "bad_pagination"],
      [{ sort: { column: "quality", order: "asc" }, after: { id: "no-such-row" } }, "bad_pagination"],
      [{ sort: { column: "capture_hour", order: "asc" }, after: { id: "x", sortValue: "abc" } }, "bad_pagination"],
      [{ sort: { column: "created_at", order: "asc" }, after: { id: "x", sortValue: "yesterday" } }, "bad_pagination"],
    ];
    for (const [options, reason] of bad) {
      const err = await ds.query("records", options).catch((e: unknown) => e);
      expect(err, JSON.stringify(options)).toBeInstanceOf(QueryError);
      expect((err as QueryError).reason, JSON.stringify(options)).toBe(reason);
    }
  });

  it("quotes values so they never escape their literal", async () => {
    const ds = await libraries[0]!.open("q");
    const page = await ds.query("records", { filters: [{ column: "split", op: "eq", values: ["x' OR '1'='1"] }] });
    expect(page.total).toBe(0);
    expect((await ds.query("records", { where: { id: "o'neil" } })).items.map((r) => r.id)).toEqual(["o'neil"]);
    expect((await ds.query("records", { where: { id: "semi;colon" } })).items.map((r) => r.id)).toEqual(["semi;colon"]);
    expect((await ds.query("records", { where: { capture_hour: 3, is_synthetic: false } })).total).toBe(
      records.filter((r) => r.capture_hour === 3 && r.is_synthetic === false).length,
    );
  });

  it("reads only the requested columns, id always included", async () => {
    const ds = await libraries[0]!.open("q");
    const page = await ds.query("records", { columns: ["split"], limit: 3 });
    expect(page.items).toHaveLength(3);
    for (const r of page.items) expect(Object.keys(r).sort()).toEqual(["id", "split"]);
    const many = await ds.getMany("records", ["o'neil", "UPPER", "nope"]);
    expect(ids(many)).toEqual(["o'neil", "UPPER"]);
  });
});
