import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  addAnswer,
  addKeyframe,
  addQuestion,
  addRow,
  availableActions,
  canEditRecord,
  clientOrigin,
  createEntity,
  deleteRows,
  DocEditError,
  glueTracklets,
  moveVertex,
  readRow,
  readRows,
  relabel,
  setRecordFields,
  splitTracklet,
  transition,
  ValidationError,
  type DocContext,
  customCell,
  withCustom,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

function ctx(): DocContext {
  let n = 0;
  return { doc: new Y.Doc(), schema: fullSchema(), recordId: "r1", newId: () => `id${++n}` };
}
const me = clientOrigin("s1");

describe("record document mutators (SPEC D-OPS)", () => {
  it("D-OPS-1 creates an entity with its first annotation in one transaction", () => {
    const c = ctx();
    let transactions = 0;
    c.doc.on("afterTransaction", () => transactions++);
    const { entityId, annotationId } = createEntity(c, me, {
      entity: withCustom({}, { category: "car" }),
      annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } },
    });
    expect(transactions).toBe(1);
    expect(readRow(c.doc, "entities", entityId)).toMatchObject({ category: "car", record_id: "r1", parent_id: "" });
    expect(readRow(c.doc, "bboxes", annotationId as string)).toMatchObject({
      entity_id: entityId,
      coords: [0.1, 0.1, 0.2, 0.2],
      format: "xywh",
      is_normalized: true,
    });
  });

  it("refuses an invalid annotation before touching the document", () => {
    const c = ctx();
    expect(() => createEntity(c, me, { annotation: { table: "bboxes", row: { coords: [0, 0, 0, 0, 0] } } })).toThrow(
      ValidationError,
    );
    expect(readRows(c.doc, "entities")).toEqual([]);
  });

  it("D-OPS-2/3 moves a vertex and relabels", () => {
    const c = ctx();
    const { entityId, annotationId } = createEntity(c, me, {
      annotation: { table: "multi_paths", row: { coords: [0, 0, 1, 0, 1, 1], num_points: [3], is_closed: true } },
    });
    moveVertex(c, me, "multi_paths", annotationId as string, 1, 0.5, 0.25);
    expect(readRow(c.doc, "multi_paths", annotationId as string)?.coords).toEqual([0, 0, 0.5, 0.25, 1, 1]);
    expect(() => moveVertex(c, me, "multi_paths", annotationId as string, 3, 0, 0)).toThrow(DocEditError);
    expect(() => moveVertex(c, me, "multi_paths", annotationId as string, 0, 2, 0)).toThrow(ValidationError);
    relabel(c, me, entityId, "dog");
    expect(customCell(readRow(c.doc, "entities", entityId), "category")).toBe("dog");
  });

  it("D-CASCADE deletes an entity with children, annotations, tracklets, states; clears message references", () => {
    const c = ctx();
    const { entityId } = createEntity(c, me, {
      annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } },
    });
    const child = createEntity(c, me, {
      entity: { parent_id: entityId },
      annotation: { table: "keypoints", row: { coords: [0.1, 0.1], states: ["visible"] } },
    });
    const t = addRow(c, me, "tracklets", { entity_id: entityId, start_timestep: 0, end_timestep: 3 });
    addKeyframe(c, me, {
      trackletId: t,
      table: "bboxes",
      frameIndex: 2,
      frameId: "f2",
      fields: { coords: [0.2, 0.2, 0.1, 0.1] },
    });
    addRow(c, me, "entity_dynamic_states", { entity_id: entityId, tracklet_id: t, frame_index: 2 });
    const other = createEntity(c, me, { annotation: { table: "bboxes", row: { coords: [0.5, 0.5, 0.1, 0.1] } } });
    const q = addQuestion(c, me, { content: "?", questionType: "OPEN", entityIds: [entityId, other.entityId] });
    const removed = deleteRows(c, me, "entities", [entityId]);
    expect(removed.entities?.sort()).toEqual([child.entityId, entityId].sort());
    expect(removed.bboxes).toHaveLength(2);
    expect(removed.keypoints).toHaveLength(1);
    expect(removed.tracklets).toEqual([t]);
    expect(removed.entity_dynamic_states).toHaveLength(1);
    expect(readRows(c.doc, "entities").map((e) => e.id)).toEqual([other.entityId]);
    expect(readRows(c.doc, "bboxes").map((b) => b.entity_id)).toEqual([other.entityId]);
    expect(readRow(c.doc, "messages", q.id)?.entity_ids).toEqual([other.entityId]);
  });

  it("D-OPS-5/6 splits a tracklet with its keyframes, and glues it back", () => {
    const c = ctx();
    const { entityId } = createEntity(c, me, {});
    const t = addRow(c, me, "tracklets", {
      entity_id: entityId,
      view_id: "cam",
      start_timestep: 0,
      end_timestep: 10,
      start_timestamp: 0,
      end_timestamp: 1,
    });
    const k0 = addKeyframe(c, me, {
      trackletId: t,
      table: "bboxes",
      frameIndex: 0,
      frameId: "f0",
      fields: { coords: [0.1, 0.1, 0.1, 0.1] },
    });
    const k8 = addKeyframe(c, me, {
      trackletId: t,
      table: "bboxes",
      frameIndex: 8,
      frameId: "f8",
      fields: { coords: [0.3, 0.3, 0.1, 0.1] },
    });
    const right = splitTracklet(c, me, t, 4);
    expect(readRow(c.doc, "tracklets", t)).toMatchObject({ start_timestep: 0, end_timestep: 4, end_timestamp: 0.4 });
    expect(readRow(c.doc, "tracklets", right)).toMatchObject({
      start_timestep: 5,
      end_timestep: 10,
      start_timestamp: 0.5,
      end_timestamp: 1,
    });
    expect(readRow(c.doc, "bboxes", k0)?.tracklet_id).toBe(t);
    expect(readRow(c.doc, "bboxes", k8)?.tracklet_id).toBe(right);
    expect(() => splitTracklet(c, me, t, 4)).toThrow(DocEditError);
    glueTracklets(c, me, t, right);
    expect(readRows(c.doc, "tracklets")).toHaveLength(1);
    expect(readRow(c.doc, "tracklets", t)).toMatchObject({ start_timestep: 0, end_timestep: 10, end_timestamp: 1 });
    expect(readRow(c.doc, "bboxes", k8)?.tracklet_id).toBe(t);
  });

  it("D-OPS-7 a keyframe outside the range extends the tracklet; the same frame replaces it", () => {
    const c = ctx();
    const { entityId } = createEntity(c, me, {});
    const t = addRow(c, me, "tracklets", { entity_id: entityId, start_timestep: 2, end_timestep: 4 });
    const a = addKeyframe(c, me, {
      trackletId: t,
      table: "bboxes",
      frameIndex: 7,
      frameId: "f7",
      fields: { coords: [0.1, 0.1, 0.1, 0.1] },
    });
    const b = addKeyframe(c, me, {
      trackletId: t,
      table: "bboxes",
      frameIndex: 7,
      frameId: "f7",
      fields: { coords: [0.2, 0.1, 0.1, 0.1] },
    });
    expect(b).toBe(a);
    expect(readRow(c.doc, "tracklets", t)).toMatchObject({ start_timestep: 2, end_timestep: 7 });
    expect(readRow(c.doc, "bboxes", a)?.coords).toEqual([0.2, 0.1, 0.1, 0.1]);
    // A caller that looked the keyframe up passes its id (no scan); null says there is none.
    const same = addKeyframe(c, me, {
      trackletId: t,
      table: "bboxes",
      frameIndex: 7,
      frameId: "f7",
      fields: { coords: [0.3, 0.1, 0.1, 0.1] },
      existingId: a,
    });
    expect(same).toBe(a);
    expect(readRow(c.doc, "bboxes", a)?.coords).toEqual([0.3, 0.1, 0.1, 0.1]);
    const fresh = addKeyframe(c, me, {
      trackletId: t,
      table: "bboxes",
      frameIndex: 3,
      frameId: "f3",
      fields: { coords: [0.4, 0.1, 0.1, 0.1] },
      existingId: null,
    });
    expect(fresh).not.toBe(a);
    expect(
      readRows(c.doc, "bboxes")
        .map((r) => Number(r.frame_index))
        .sort(),
    ).toEqual([3, 7]);
  });

  it("D-OPS-8/9 questions take the next number, answers their question's number", () => {
    const c = ctx();
    const q1 = addQuestion(c, me, { content: "What?", questionType: "OPEN" });
    const a1 = addAnswer(c, me, q1.id, "That");
    const q2 = addQuestion(c, me, {
      conversationId: q1.conversationId,
      content: "Which?",
      questionType: "SINGLE_CHOICE",
      choices: ["a", "b"],
    });
    expect([q1.number, readRow(c.doc, "messages", a1)?.number, q2.number]).toEqual([0, 0, 1]);
    expect(readRow(c.doc, "messages", a1)).toMatchObject({
      type: "ANSWER",
      question_type: "",
      conversation_id: q1.conversationId,
    });
    expect(() => addAnswer(c, me, a1, "x")).toThrow(DocEditError);
  });

  it("D-OPS-10 record fields change, status does not", () => {
    const c = ctx();
    setRecordFields(c, me, { comment: "blurry" });
    expect(c.doc.getMap("record").get("comment")).toBe("blurry");
    expect(() => setRecordFields(c, me, { status: "validated" })).toThrow(DocEditError);
  });
});

describe("workflow (SPEC W1–W5)", () => {
  it("follows new → inProgress → inReview → validated, with reject and reopen", () => {
    expect(transition("new", "edit", "annotator")).toEqual({ ok: true, action: "edit", from: "new", to: "inProgress" });
    expect(transition("inProgress", "submit", "annotator")).toMatchObject({ ok: true, to: "inReview" });
    expect(transition("inReview", "approve", "annotator")).toMatchObject({ ok: false, reason: "forbidden" });
    expect(transition("inReview", "approve", "reviewer")).toMatchObject({ ok: true, to: "validated" });
    expect(transition("inReview", "reject", "reviewer")).toMatchObject({ ok: false, reason: "comment_required" });
    expect(transition("inReview", "reject", "reviewer", "box 3 is loose")).toMatchObject({
      ok: true,
      to: "inProgress",
    });
    expect(transition("validated", "submit", "annotator")).toMatchObject({ ok: false, reason: "wrong_status" });
    expect(transition("validated", "reopen", "reviewer")).toMatchObject({ ok: true, to: "inProgress" });
    expect(transition("inProgress", "submit", "viewer")).toMatchObject({ ok: false, reason: "forbidden" });
  });

  it("lists the actions a role may take and who may edit", () => {
    expect(availableActions("inReview", "reviewer").sort()).toEqual(["approve", "reject"]);
    expect(availableActions("inReview", "annotator")).toEqual([]);
    expect(availableActions("inProgress", "annotator")).toEqual(["submit"]);
    expect(canEditRecord("validated", "annotator")).toBe(false);
    expect(canEditRecord("inReview", "annotator")).toBe(true);
    expect(canEditRecord("new", "viewer")).toBe(false);
    expect(canEditRecord("validated", "reviewer")).toBe(true);
  });
});
