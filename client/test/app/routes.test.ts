import { describe, expect, it } from "vitest";
import {
  DEFAULT_QUERY,
  nextSort,
  queryToSearch,
  restParams,
  searchToQuery,
  type ExplorerQuery,
} from "../../src/api/explorerQuery.js";
import { formatRoute, parseHash } from "../../src/app/routes.js";

const query: ExplorerQuery = {
  filters: [
    { column: "status", op: "in", values: ["new", "inReview"] },
    { column: "comment", op: "contains", values: ["a,b: c"] },
  ],
  q: "snow",
  sort: { column: "updated_at", order: "desc" },
  limit: 100,
  offset: 200,
};

describe("hash routes", () => {
  it("parses the three pages", () => {
    expect(parseHash("")).toEqual({ page: "library" });
    expect(parseHash("#/")).toEqual({ page: "library" });
    expect(parseHash("#/explorer/demo_image")).toEqual({
      page: "explorer",
      datasetId: "demo_image",
      query: DEFAULT_QUERY,
    });
    const ws = parseHash("#/explorer/demo%20x/workspace/rec%2F1?filter=split:eq:train");
    expect(ws).toEqual({
      page: "workspace",
      datasetId: "demo x",
      recordId: "rec/1",
      query: { ...DEFAULT_QUERY, filters: [{ column: "split", op: "eq", values: ["train"] }] },
    });
    expect(parseHash("#/nowhere/else")).toEqual({ page: "notFound", path: "/nowhere/else" });
  });

  it("round-trips the explorer query through the URL", () => {
    const route = { page: "explorer", datasetId: "ds", query } as const;
    const hash = formatRoute(route);
    expect(hash.startsWith("#/explorer/ds?")).toBe(true);
    expect(parseHash(hash)).toEqual(route);
  });

  it("keeps filters and sort but not the page offset in workspace URLs", () => {
    const hash = formatRoute({ page: "workspace", datasetId: "ds", recordId: "r1", query });
    expect(parseHash(hash)).toEqual({
      page: "workspace",
      datasetId: "ds",
      recordId: "r1",
      query: { ...query, offset: 0 },
    });
  });

  it("drops malformed filters from a hand-edited URL instead of failing", () => {
    const q = searchToQuery(
      new URLSearchParams("filter=nonsense&filter=split:eq:val&limit=abc&order=sideways&sort=id"),
    );
    expect(q.filters).toEqual([{ column: "split", op: "eq", values: ["val"] }]);
    expect(q.limit).toBe(DEFAULT_QUERY.limit);
    expect(q.sort).toEqual({ column: "id", order: "asc" });
  });
});

describe("explorer query", () => {
  it("maps to the REST grammar (repeated filter=col:op:value)", () => {
    expect(restParams(query)).toEqual({
      filter: ["status:in:new,inReview", "comment:contains:a,b: c"],
      q: "snow",
      sort: "updated_at",
      order: "desc",
    });
    expect(restParams(DEFAULT_QUERY)).toEqual({});
    expect(queryToSearch(DEFAULT_QUERY).toString()).toBe("");
  });

  it("cycles sort asc → desc → none on header clicks", () => {
    const a = nextSort(null, "id");
    expect(a).toEqual({ column: "id", order: "asc" });
    const d = nextSort(a, "id");
    expect(d).toEqual({ column: "id", order: "desc" });
    expect(nextSort(d, "id")).toBeNull();
    expect(nextSort(d, "split")).toEqual({ column: "split", order: "asc" });
  });
});
