import * as Y from "yjs";
import {
  addAnswer,
  addKeyframe,
  addQuestion,
  addRow,
  clientOrigin,
  createEntity,
  deleteRows,
  DocEditError,
  glueTracklets,
  int64Number,
  moveVertex,
  readRows,
  relabel,
  setRecordFields,
  splitTracklet,
  updateRow,
  ValidationError,
  type DatasetSchema,
  type DocContext,
  withCustom,
} from "../../src/index.js";
import type { RandomSource } from "./RandomSource.js";

const CATEGORIES = ["car", "person", "dog", "bike"];

function box(rng: RandomSource): number[] {
  const x = rng.float(0, 0.7);
  const y = rng.float(0, 0.7);
  return [x, y, rng.float(0.01, 0.3), rng.float(0.01, 0.3)];
}

function ring(rng: RandomSource, n: number): number[] {
  return Array.from({ length: n * 2 }, () => rng.float(0, 1));
}

type Op = (ctx: DocContext, rng: RandomSource) => string;

/** Small named edits over the record-document API, chosen by the fuzzer against local state. */
const OPS: Record<string, Op> = {
  createBox: (ctx, rng) => {
    createEntity(ctx, origin(ctx), {
      entity: withCustom({}, { category: rng.pick(CATEGORIES) }),
      annotation: { table: "bboxes", row: { coords: box(rng), is_normalized: true, confidence: 1 } },
    });
    return "createBox";
  },
  createPolygon: (ctx, rng) => {
    const n = 3 + rng.int(4);
    createEntity(ctx, origin(ctx), {
      entity: withCustom({}, { category: rng.pick(CATEGORIES) }),
      annotation: { table: "multi_paths", row: { coords: ring(rng, n), num_points: [n], is_closed: true } },
    });
    return "createPolygon";
  },
  addKeypointsToEntity: (ctx, rng) => {
    const e = rng.pick(readRows(ctx.doc, "entities"));
    if (!e) return "skip";
    addRow(ctx, origin(ctx), "keypoints", {
      entity_id: e.id,
      template_id: "face",
      coords: ring(rng, 2),
      states: ["visible", "hidden"],
    });
    return "addKeypoints";
  },
  moveVertex: (ctx, rng) => {
    const p = rng.pick(readRows(ctx.doc, "multi_paths"));
    if (!p) return "skip";
    moveVertex(ctx, origin(ctx), "multi_paths", p.id, rng.int(p.coords.length / 2), rng.float(0, 1), rng.float(0, 1));
    return "moveVertex";
  },
  resizeBox: (ctx, rng) => {
    const b = rng.pick(readRows(ctx.doc, "bboxes"));
    if (!b) return "skip";
    updateRow(ctx, origin(ctx), "bboxes", b.id, { coords: box(rng) });
    return "resizeBox";
  },
  relabel: (ctx, rng) => {
    const e = rng.pick(readRows(ctx.doc, "entities"));
    if (!e) return "skip";
    relabel(ctx, origin(ctx), e.id, rng.pick(CATEGORIES) ?? "car");
    return "relabel";
  },
  deleteEntity: (ctx, rng) => {
    const e = rng.pick(readRows(ctx.doc, "entities"));
    if (!e) return "skip";
    deleteRows(ctx, origin(ctx), "entities", [e.id]);
    return "deleteEntity";
  },
  childEntity: (ctx, rng) => {
    const e = rng.pick(readRows(ctx.doc, "entities"));
    if (!e) return "skip";
    createEntity(ctx, origin(ctx), { entity: withCustom({ parent_id: e.id }, withCustom({}, { category: "part" })) });
    return "childEntity";
  },
  track: (ctx, rng) => {
    const start = rng.int(10);
    const { entityId } = createEntity(ctx, origin(ctx), { entity: withCustom({}, { category: "car" }) });
    const tid = addRow(ctx, origin(ctx), "tracklets", {
      entity_id: entityId,
      view_id: "image",
      start_timestep: start,
      end_timestep: start + 5,
    });
    addKeyframe(ctx, origin(ctx), {
      trackletId: tid,
      table: "bboxes",
      frameIndex: start,
      frameId: `f${start}`,
      fields: { coords: box(rng), is_normalized: true },
    });
    addKeyframe(ctx, origin(ctx), {
      trackletId: tid,
      table: "bboxes",
      frameIndex: start + 5,
      frameId: `f${start + 5}`,
      fields: { coords: box(rng), is_normalized: true },
    });
    return "track";
  },
  keyframe: (ctx, rng) => {
    const t = rng.pick(readRows(ctx.doc, "tracklets"));
    if (!t) return "skip";
    const f = int64Number(t.start_timestep) + rng.int(8);
    addKeyframe(ctx, origin(ctx), {
      trackletId: t.id,
      table: "bboxes",
      frameIndex: f,
      frameId: `f${f}`,
      fields: { coords: box(rng), is_normalized: true },
    });
    return "keyframe";
  },
  splitTrack: (ctx, rng) => {
    const t = rng.pick(
      readRows(ctx.doc, "tracklets").filter((x) => int64Number(x.end_timestep) > int64Number(x.start_timestep)),
    );
    if (!t) return "skip";
    const s = int64Number(t.start_timestep);
    splitTracklet(ctx, origin(ctx), t.id, s + rng.int(int64Number(t.end_timestep) - s));
    return "splitTrack";
  },
  glueTracks: (ctx, rng) => {
    const ts = readRows(ctx.doc, "tracklets");
    const a = rng.pick(ts);
    const b = rng.pick(ts.filter((x) => x.id !== a?.id && x.entity_id === a?.entity_id));
    if (!a || !b) return "skip";
    glueTracklets(ctx, origin(ctx), a.id, b.id);
    return "glueTracks";
  },
  question: (ctx, rng) => {
    const entities = readRows(ctx.doc, "entities");
    const q = addQuestion(ctx, origin(ctx), {
      content: "What is it?",
      questionType: rng.pick(["OPEN", "SINGLE_CHOICE"]) ?? "OPEN",
      choices: [],
      entityIds: entities.slice(0, 2).map((e) => e.id),
    });
    if (rng.chance(0.7)) addAnswer(ctx, origin(ctx), q.id, "A thing");
    return "question";
  },
  comment: (ctx, rng) => {
    setRecordFields(ctx, origin(ctx), { comment: `note ${rng.int(100)}` });
    return "comment";
  },
  rogueStatus: (ctx) => {
    // A stock client may write anything; the server must undo a status it did not decide.
    ctx.doc.transact(() => ctx.doc.getMap("record").set("status", "validated"), origin(ctx));
    return "rogueStatus";
  },
  rogueRow: (ctx, rng) => {
    // Bypasses the mutators: an invalid bbox (5 coords) the server must repair.
    ctx.doc.transact(() => {
      const m = new Y.Map<unknown>();
      ctx.doc.getMap("bboxes").set(rng.id("bad"), m);
      m.set("id", "x");
      m.set("coords", [0, 0, 0, 0, 0]);
    }, origin(ctx));
    return "rogueRow";
  },
};

function origin(ctx: DocContext) {
  return clientOrigin(String(ctx.doc.clientID));
}

export function contextFor(doc: Y.Doc, schema: DatasetSchema, recordId: string, rng: RandomSource): DocContext {
  return { doc, schema, recordId, newId: () => rng.id(`${doc.clientID % 1000}_`) };
}

/** Runs one random op; edits that are invalid against the local state are skipped, nothing else is swallowed. */
export function randomOp(ctx: DocContext, rng: RandomSource): string {
  const names = Object.keys(OPS);
  const name = rng.pick(names) as string;
  try {
    return (OPS[name] as Op)(ctx, rng);
  } catch (err) {
    if (err instanceof DocEditError || err instanceof ValidationError) return `refused:${name}`;
    throw err;
  }
}
