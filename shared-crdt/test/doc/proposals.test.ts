import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  acceptProposal,
  belowThreshold,
  bulkAccept,
  clientOrigin,
  moveVertex,
  PROPOSAL_TABLES,
  ProposalError,
  proposalScore,
  readRowCells,
  rejectProposal,
  relabel,
  reviewStatusOf,
  storedReviewStatus,
  transact,
  updateRow,
  writeRowCells,
  type DocContext,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

const me = clientOrigin("s1");

function ctx(): DocContext {
  let n = 0;
  return { doc: new Y.Doc(), schema: fullSchema(), recordId: "r1", newId: () => `id${++n}` };
}

interface BoxOpts {
  readonly confidence?: number;
  readonly column?: boolean; // the dataset has Pixano's `review_status` column
  readonly source_type?: string;
  readonly source_metadata?: string;
}

/** Writes an entity with one box, as a load from LanceDB would (a server transaction). */
function box(c: DocContext, id: string, o: BoxOpts = {}): void {
  transact(c.doc, { source: "server", reason: "load" }, () => {
    writeRowCells(c.doc, "entities", { id: `e-${id}`, record_id: "r1", view_id: "", parent_id: "", category: "car" });
    writeRowCells(c.doc, "bboxes", {
      id,
      record_id: "r1",
      entity_id: `e-${id}`,
      source_type: o.source_type ?? "model",
      source_name: "yolo",
      source_metadata: o.source_metadata ?? "{}",
      view_id: "image",
      ...(o.column ? { review_status: "" } : {}),
      tracklet_id: "",
      entity_dynamic_state_id: "",
      frame_id: "",
      frame_index: -1,
      coords: [0.1, 0.1, 0.2, 0.2],
      format: "xywh",
      is_normalized: true,
      confidence: o.confidence ?? 0.9,
    });
  });
}

function undoManager(c: DocContext): Y.UndoManager {
  const scope = PROPOSAL_TABLES.map((t) => c.doc.getMap(t)).concat([c.doc.getMap("entities")]);
  return new Y.UndoManager(scope, { trackedOrigins: new Set([me]), captureTimeout: 0 });
}

const cells = (c: DocContext, id: string) => readRowCells(c.doc, "bboxes", id) ?? {};

describe("model proposals (SPEC D-PROPOSAL)", () => {
  it("D-PROPOSAL a model row nobody reviewed reads pending; human work reads empty", () => {
    const c = ctx();
    box(c, "m");
    box(c, "h", { source_type: "human" });
    expect(reviewStatusOf(cells(c, "m"))).toBe("pending");
    expect(reviewStatusOf(cells(c, "h"))).toBe("");
    expect(proposalScore(cells(c, "m"))).toBe(0.9);
  });

  it("D-PROPOSAL accept and reject write Pixano's review_status column when the dataset has it", () => {
    const c = ctx();
    box(c, "a", { column: true });
    box(c, "r", { column: true });
    acceptProposal(c.doc, me, "bboxes", "a");
    rejectProposal(c.doc, me, "bboxes", "r");
    expect(cells(c, "a")).toMatchObject({ review_status: "accepted", source_metadata: "{}" });
    expect(cells(c, "r")).toMatchObject({ review_status: "rejected", source_metadata: "{}" });
  });

  it("D-PROPOSAL without the column the status goes in source_metadata, keeping its other keys, and no column is added", () => {
    const c = ctx();
    box(c, "a", { source_metadata: '{"model":"yolo-v8"}' });
    acceptProposal(c.doc, me, "bboxes", "a");
    const row = cells(c, "a");
    expect("review_status" in row).toBe(false);
    expect(JSON.parse(String(row.source_metadata))).toEqual({ model: "yolo-v8", review_status: "accepted" });
    expect(storedReviewStatus(row)).toBe("accepted");
  });

  it("D-PROPOSAL reject keeps the row (Pixano 0.8 keeps it)", () => {
    const c = ctx();
    box(c, "r");
    rejectProposal(c.doc, me, "bboxes", "r");
    expect(cells(c, "r").coords).toEqual([0.1, 0.1, 0.2, 0.2]);
    expect(reviewStatusOf(cells(c, "r"))).toBe("rejected");
  });

  it("D-PROPOSAL moving a proposal's geometry makes it corrected in the same undo step", () => {
    for (const column of [true, false]) {
      const c = ctx();
      box(c, "b", { column });
      const undo = undoManager(c);
      updateRow(c, me, "bboxes", "b", { coords: [0.2, 0.2, 0.2, 0.2] });
      expect(reviewStatusOf(cells(c, "b"))).toBe("corrected");
      expect(undo.undoStack.length).toBe(1);
      undo.undo();
      expect(cells(c, "b").coords).toEqual([0.1, 0.1, 0.2, 0.2]);
      expect(reviewStatusOf(cells(c, "b"))).toBe("pending");
    }
  });

  it("D-PROPOSAL moving a polygon vertex of a proposal corrects it", () => {
    const c = ctx();
    transact(c.doc, { source: "server", reason: "load" }, () => {
      writeRowCells(c.doc, "entities", { id: "e", record_id: "r1", view_id: "", parent_id: "", category: "x" });
      writeRowCells(c.doc, "multi_paths", {
        id: "p",
        record_id: "r1",
        entity_id: "e",
        source_type: "model",
        source_name: "sam",
        source_metadata: '{"score":0.4}',
        view_id: "image",
        tracklet_id: "",
        entity_dynamic_state_id: "",
        frame_id: "",
        frame_index: -1,
        coords: [0.1, 0.1, 0.5, 0.1, 0.3, 0.4],
        num_points: [3],
        is_closed: true,
      });
    });
    expect(proposalScore(readRowCells(c.doc, "multi_paths", "p") ?? {})).toBe(0.4);
    moveVertex(c, me, "multi_paths", "p", 0, 0.2, 0.2);
    expect(reviewStatusOf(readRowCells(c.doc, "multi_paths", "p") ?? {})).toBe("corrected");
  });

  it("D-PROPOSAL relabelling a proposal's entity corrects it; the same label does not", () => {
    const c = ctx();
    box(c, "b", { column: true });
    relabel(c, me, "e-b", "car");
    expect(cells(c, "b").review_status).toBe("");
    const undo = undoManager(c);
    relabel(c, me, "e-b", "truck");
    expect(cells(c, "b").review_status).toBe("corrected");
    expect(undo.undoStack.length).toBe(1);
    undo.undo();
    expect(cells(c, "b").review_status).toBe("");
    expect(readRowCells(c.doc, "entities", "e-b")?.category).toBe("car");
  });

  it("D-PROPOSAL an edit of human work writes no review status", () => {
    const c = ctx();
    box(c, "h", { source_type: "human" });
    updateRow(c, me, "bboxes", "h", { coords: [0.3, 0.3, 0.1, 0.1] });
    expect(reviewStatusOf(cells(c, "h"))).toBe("");
    expect(cells(c, "h").source_metadata).toBe("{}");
  });

  it("D-PROPOSAL bulk-accept takes the pending proposals at or above the threshold in one transaction and one undo step", () => {
    const c = ctx();
    box(c, "hi", { confidence: 0.9 });
    box(c, "eq", { confidence: 0.7, column: true });
    box(c, "lo", { confidence: 0.5 });
    box(c, "rej", { confidence: 0.95 });
    box(c, "none", { confidence: -1 });
    box(c, "h", { source_type: "human", confidence: 1 });
    rejectProposal(c.doc, me, "bboxes", "rej");
    const undo = undoManager(c);
    let transactions = 0;
    c.doc.on("afterTransaction", () => transactions++);
    expect(bulkAccept(c.doc, me, 0.7)).toBe(2);
    expect(transactions).toBe(1);
    expect(undo.undoStack.length).toBe(1);
    const status = (id: string) => reviewStatusOf(cells(c, id));
    expect(["hi", "eq", "lo", "rej", "none", "h"].map(status)).toEqual([
      "accepted",
      "accepted",
      "pending",
      "rejected",
      "pending",
      "",
    ]);
    undo.undo();
    expect(["hi", "eq"].map(status)).toEqual(["pending", "pending"]);
  });

  it("D-PROPOSAL the threshold hides only scored proposals below it", () => {
    const c = ctx();
    box(c, "lo", { confidence: 0.3 });
    box(c, "none", { confidence: -1 });
    box(c, "h", { source_type: "human", confidence: 0.1 });
    expect(belowThreshold(cells(c, "lo"), 0.5)).toBe(true);
    expect(belowThreshold(cells(c, "none"), 0.5)).toBe(false);
    expect(belowThreshold(cells(c, "h"), 0.5)).toBe(false);
  });

  it("D-PROPOSAL refuses a human row, a bad threshold and unusable source_metadata with typed errors, writing nothing", () => {
    const c = ctx();
    box(c, "h", { source_type: "human" });
    box(c, "bad", { source_metadata: "[1,2]" });
    const reason = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        if (err instanceof ProposalError) return err.reason;
        throw err;
      }
      return "none";
    };
    expect(reason(() => acceptProposal(c.doc, me, "bboxes", "h"))).toBe("not_a_proposal");
    expect(reason(() => acceptProposal(c.doc, me, "bboxes", "nope"))).toBe("missing_row");
    expect(reason(() => acceptProposal(c.doc, me, "bboxes", "bad"))).toBe("bad_metadata");
    expect(reason(() => bulkAccept(c.doc, me, 1.5))).toBe("bad_threshold");
    expect(cells(c, "bad").source_metadata).toBe("[1,2]");
    expect(reviewStatusOf(cells(c, "h"))).toBe("");
  });

  it("D-PROPOSAL two replicas see each other's decisions", () => {
    const a = ctx();
    const b = ctx();
    box(a, "x");
    box(a, "y");
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    acceptProposal(a.doc, me, "bboxes", "x");
    rejectProposal(b.doc, clientOrigin("s2"), "bboxes", "y");
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc));
    for (const c of [a, b]) {
      expect(reviewStatusOf(cells(c, "x"))).toBe("accepted");
      expect(reviewStatusOf(cells(c, "y"))).toBe("rejected");
    }
  });
});
