import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library, type Dataset } from "../src/index.js";
import { removeDir, rng, tempDir } from "./helpers.js";
import { fullInfo } from "./sample.js";

/**
 * A quick sanity run on a table too big for in-memory sorting: batch inserts (auto-optimized past
 * 1000 rows), sorted/filtered/keyset pages and neighbours stay correct. Timings are printed, not
 * asserted: real benchmarks live in load-tests/.
 */
const N = 30_000;

describe("larger tables (sanity, not a benchmark)", () => {
  let dataDir: string;
  let library: Library;
  let ds: Dataset;
  const quality = new Map<string, number>();

  beforeAll(async () => {
    dataDir = await tempDir();
    library = new Library(dataDir);
    ds = await library.create("big", fullInfo("big"));
    const random = rng(7);
    for (let b = 0; b < N; b += 10_000) {
      const rows = Array.from({ length: 10_000 }, (_, k) => {
        const id = `r${String(b + k).padStart(6, "0")}`;
        const q = Math.floor(random() * 1000) / 1000;
        quality.set(id, q);
        return { id, split: ["train", "val", "test"][(b + k) % 3], quality: q };
      });
      const t0 = performance.now();
      await ds.add("records", rows);
      console.info(`add 10k records: ${(performance.now() - t0).toFixed(0)} ms`);
    }
  });
  afterAll(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  const timed = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    console.info(`${label}: ${(performance.now() - t0).toFixed(0)} ms`);
    return out;
  };

  it("indexes the table after a large write", async () => {
    const t = (await ds.table("records"))!;
    expect((await t.table.listIndices()).map((i) => i.columns[0])).toContain("id");
  });

  it("serves sorted, filtered and keyset pages of a 30k table correctly", async () => {
    const expected = [...quality.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
    const first = await timed("first sorted page", () =>
      ds.query("records", { sort: { column: "quality", order: "desc" }, limit: 50 }),
    );
    expect(first.total).toBe(N);
    expect(first.items.map((r) => r.id)).toEqual(expected.slice(0, 50));
    const deep = await timed("page at offset 20000", () =>
      ds.query("records", { sort: { column: "quality", order: "desc" }, offset: 20_000, limit: 50 }),
    );
    expect(deep.items.map((r) => r.id)).toEqual(expected.slice(20_000, 20_050));
    const last = first.items.at(-1)!;
    const next = await timed("keyset next page", () =>
      ds.query("records", {
        sort: { column: "quality", order: "desc" },
        after: { id: last.id as string, sortValue: last.quality },
        limit: 50,
      }),
    );
    expect(next.items.map((r) => r.id)).toEqual(expected.slice(50, 100));
    const val = expected.filter((id) => Number(id.slice(1)) % 3 === 1);
    const filtered = await timed("filtered sorted page", () =>
      ds.query("records", {
        filters: [{ column: "split", op: "eq", values: ["val"] }],
        sort: { column: "quality", order: "desc" },
        limit: 20,
      }),
    );
    expect(filtered.total).toBe(N / 3);
    expect(filtered.items.map((r) => r.id)).toEqual(val.slice(0, 20));
    const n = await timed("neighbours", () =>
      ds.neighbors(expected[1234]!, { sort: { column: "quality", order: "desc" } }),
    );
    expect(n).toEqual({ previous: expected[1233], next: expected[1235], position: 1235, total: N });
  });
});
