import { describe, expect, it } from "vitest";
import { DEFAULT_QUERY, queryToSearch, restParams, searchToQuery } from "../../src/api/explorerQuery.js";
import { isSemanticQuery } from "../../src/api/search.js";

describe("the explorer's semantic search in the URL", () => {
  it("semantic=1 and similar_to survive a round trip through the hash, and stay out of the listing's REST query", () => {
    const q = { ...DEFAULT_QUERY, q: "red car", semantic: true, similarTo: "rec-7" };
    const sp = queryToSearch(q);
    expect(sp.get("semantic")).toBe("1");
    expect(sp.get("similar_to")).toBe("rec-7");
    expect(searchToQuery(sp)).toMatchObject({ q: "red car", semantic: true, similarTo: "rec-7" });
    expect(restParams(q)).toEqual({ q: "red car" });
  });

  it("a semantic query needs text, or a record to be like; the plain explorer query is not one", () => {
    expect(isSemanticQuery(DEFAULT_QUERY)).toBe(false);
    expect(isSemanticQuery({ ...DEFAULT_QUERY, semantic: true })).toBe(false);
    expect(isSemanticQuery({ ...DEFAULT_QUERY, semantic: true, q: "red" })).toBe(true);
    expect(isSemanticQuery({ ...DEFAULT_QUERY, q: "red" })).toBe(false);
    expect(isSemanticQuery({ ...DEFAULT_QUERY, similarTo: "rec-1" })).toBe(true);
  });
});
