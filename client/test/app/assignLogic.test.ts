import { describe, expect, it } from "vitest";
import { assignedLabel, donePercent, isNextForMeKey, lockReason, previewShares } from "../../src/assign/assignLogic.js";
import { queryToSearch, restParams, searchToQuery, DEFAULT_QUERY } from "../../src/api/explorerQuery.js";

const alice = { id: "alice", name: "Alice" };
const key = (
  k: string,
  o: Partial<{ shiftKey: boolean; ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {},
) => ({
  key: k,
  shiftKey: false,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  ...o,
});

describe("assignment screens (SPEC AS)", () => {
  it("AS3: the dialog's preview shares records as the server's even split does (sizes differ by at most one)", () => {
    expect(previewShares(10, 2)).toEqual([5, 5]);
    expect(previewShares(11, 3)).toEqual([4, 4, 3]);
    expect(previewShares(2, 3)).toEqual([1, 1, 0]);
    expect(previewShares(5, 0)).toEqual([]);
  });

  it("AS8: the progress table's percentage is done over assigned, 0 for nobody's work", () => {
    expect(donePercent({ assigned: 5, done: 2 })).toBe(40);
    expect(donePercent({ assigned: 3, done: 1 })).toBe(33);
    expect(donePercent({ assigned: 0, done: 0 })).toBe(0);
  });

  it("AS6: the read-only banner names the assignee only when the lock is the reason", () => {
    const locked = { locked: true };
    const a = { annotator: alice };
    expect(lockReason(locked, a, { id: "bob", role: "annotator" })).toBe(
      "assignment is locked: this record is assigned to Alice",
    );
    expect(lockReason(locked, a, { id: "alice", role: "annotator" })).toBeNull();
    expect(lockReason(locked, a, { id: "rita", role: "reviewer" })).toBeNull();
    expect(lockReason(locked, { annotator: null }, { id: "bob", role: "annotator" })).toBeNull();
    expect(lockReason({ locked: false }, a, { id: "bob", role: "annotator" })).toBeNull();
    expect(lockReason(null, a, { id: "bob", role: "annotator" })).toBeNull();
  });

  it("AS5: Shift+N is 'next for me'; N alone (repeat tool) and Ctrl+Shift+N are not", () => {
    expect(isNextForMeKey(key("N", { shiftKey: true }))).toBe(true);
    expect(isNextForMeKey(key("n"))).toBe(false);
    expect(isNextForMeKey(key("N", { shiftKey: true, ctrlKey: true }))).toBe(false);
  });

  it("the Assigned to column shows the annotator, then the reviewer", () => {
    expect(assignedLabel({ annotator: alice, reviewer: { id: "rita", name: "Rita" } })).toBe("Alice · review: Rita");
    expect(assignedLabel(null)).toBe("");
  });

  it("the explorer's 'Assigned to' filter rides in the URL and reaches the REST listing as assigned_to", () => {
    const q = { ...DEFAULT_QUERY, assignedTo: "alice" };
    expect(restParams(q).assigned_to).toBe("alice");
    expect(searchToQuery(queryToSearch(q)).assignedTo).toBe("alice");
    expect(searchToQuery(queryToSearch(DEFAULT_QUERY)).assignedTo).toBeUndefined();
  });
});
