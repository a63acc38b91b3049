import { describe, expect, it } from "vitest";
import * as workflow from "../../src/doc/workflow.js";
import { tableSchemaFromManifest, validateRow, type Role } from "../../src/index.js";

/**
 * SPEC W7/W8 (Hardening II items 13–14): Pixano's `status` is a free string. Values outside the
 * four workflow statuses are an explicit `other` state that reviewers and admins move out of;
 * reviewers and admins (everyone in the single-user mode) may set any status directly, annotators
 * keep the transitions. Read through the module namespace so a missing export fails the test
 * rather than the import.
 */

const FOUR = ["new", "inProgress", "inReview", "validated"] as const;
const api = workflow as Partial<typeof workflow>;

function need<K extends keyof typeof workflow>(name: K): (typeof workflow)[K] {
  const fn = api[name];
  if (fn === undefined) throw new Error(`shared-crdt's workflow has no ${String(name)}`);
  return fn as (typeof workflow)[K];
}

describe("statuses outside the four workflow values (item 13)", () => {
  it("S-RECORD-STATUS keeps Pixano's custom status `archived` instead of refusing the row", () => {
    const r = validateRow(
      tableSchemaFromManifest(null, "records"),
      { id: "r1", status: "archived" },
      { mode: "create" },
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.row.status).toBe("archived");
  });

  it("an `archived` record is in the `other` state, not silently `new`, and stays editable by annotators", () => {
    const state = need("workflowState");
    expect(state("archived")).toBe("other");
    expect(state("")).toBe("other");
    expect(state(undefined)).toBe("new");
    for (const s of FOUR) expect(state(s)).toBe(s);
    // W5: an `other` record is edited like any record that is not validated (the edit keeps its status).
    expect(workflow.canEditRecord("archived", "annotator")).toBe(true);
    expect(workflow.canEditRecord("archived", "reviewer")).toBe(true);
    expect(workflow.canEditRecord("archived", "viewer")).toBe(false);
    expect(workflow.canEditRecord("validated", "annotator")).toBe(false);
  });

  it("reviewers and admins reopen an `other` record; annotators may not move it", () => {
    for (const role of ["reviewer", "admin"] as const) {
      expect(workflow.transition("archived", "reopen", role)).toEqual({
        ok: true,
        action: "reopen",
        from: "archived",
        to: "inProgress",
      });
      expect(workflow.availableActions("archived", role)).toEqual(["reopen"]);
    }
    expect(workflow.transition("archived", "reopen", "annotator")).toMatchObject({ ok: false, reason: "forbidden" });
    expect(workflow.transition("archived", "submit", "annotator")).toMatchObject({ ok: false, reason: "wrong_status" });
    expect(workflow.availableActions("archived", "annotator")).toEqual([]);
  });
});

describe("direct status changes, Pixano's dropdown (item 14)", () => {
  const moves = FOUR.flatMap((from) => FOUR.filter((to) => to !== from).map((to) => [from, to] as const));

  it("reviewers and admins may make all 12 moves of the dropdown, and leave the workflow to `archived` and back", () => {
    const setStatus = need("setStatus");
    expect(moves).toHaveLength(12);
    for (const role of ["reviewer", "admin"] as const) {
      for (const [from, to] of moves)
        expect(setStatus(from, to, role), `${role} ${from} → ${to}`).toMatchObject({ ok: true, from, to });
      expect(setStatus("validated", "archived", role)).toEqual({
        ok: true,
        action: "set",
        from: "validated",
        to: "archived",
      });
      expect(setStatus("archived", "inReview", role)).toEqual({
        ok: true,
        action: "set",
        from: "archived",
        to: "inReview",
      });
    }
  });

  it("names a direct change after the transition it matches, else `set` (a reject without comment is a `set`)", () => {
    const setStatus = need("setStatus");
    expect(setStatus("inReview", "validated", "reviewer")).toMatchObject({ action: "approve" });
    expect(setStatus("inReview", "inProgress", "reviewer", "fix box 2")).toMatchObject({ action: "reject" });
    expect(setStatus("inReview", "inProgress", "reviewer")).toMatchObject({ ok: true, action: "set" });
    expect(setStatus("validated", "new", "admin")).toMatchObject({ ok: true, action: "set" });
  });

  it("annotators keep the workflow: new→inProgress, new/inProgress→inReview; every other move is forbidden", () => {
    const setStatus = need("setStatus");
    const allowed = moves
      .filter(([from, to]) => setStatus(from, to, "annotator").ok)
      .map(([from, to]) => `${from}→${to}`);
    expect(allowed.sort()).toEqual(["inProgress→inReview", "new→inProgress", "new→inReview"]);
    for (const [from, to] of moves) {
      const r = setStatus(from, to, "annotator");
      if (!r.ok) expect(r.reason, `${from} → ${to}`).toBe("forbidden");
    }
    expect(setStatus("inProgress", "archived", "annotator")).toMatchObject({ ok: false, reason: "forbidden" });
    expect(setStatus("inProgress", "inReview", "viewer")).toMatchObject({ ok: false, reason: "forbidden" });
  });

  it("the action table is the state machine's: actionBetween and WORKFLOW_ACTIONS derive from it", () => {
    const between = need("actionBetween");
    const table: Record<string, string | null> = {};
    for (const [from, to] of moves) table[`${from}→${to}`] = between(from, to);
    expect(Object.fromEntries(Object.entries(table).filter(([, a]) => a !== null))).toEqual({
      "new→inProgress": "edit",
      "new→inReview": "submit",
      "inProgress→inReview": "submit",
      "inReview→validated": "approve",
      "inReview→inProgress": "reject",
      "validated→inProgress": "reopen",
    });
    expect(between("archived", "inProgress")).toBe("reopen");
    expect(need("WORKFLOW_ACTIONS")).toEqual(["edit", "submit", "approve", "reject", "reopen"]);
    const roles: Role[] = ["admin", "reviewer", "annotator", "viewer"];
    for (const a of need("WORKFLOW_ACTIONS"))
      for (const r of roles) expect(workflow.transition("new", a, r, "x")).toHaveProperty("ok");
  });
});
