import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  observeRecordChanges,
  datasetSchemaOf,
  parseDatasetInfo,
  type DatasetSchema,
  type Row,
} from "@tessera/shared-crdt";
import { makeToolContext, type ToolContextInput } from "../../src/canvas/toolContext.js";
import type { Camera } from "../../src/canvas/scene/camera.js";
import { tileViews } from "../../src/canvas/scene/layout.js";
import { SceneModel } from "../../src/canvas/scene/SceneModel.js";
import type { Effect, ShapeRef, ShapeTable, Tool, ToolContext, ToolEvent, ToolPoint } from "../../src/tools/types.js";
import type { KeypointTemplate } from "../../src/canvas/types.js";

/** An image dataset with a `category` on entities, as the demo library declares. */
export function imageSchema(): DatasetSchema {
  const plain = (base: string) => ({ base, fields: {} });
  return datasetSchemaOf(
    parseDatasetInfo({
      id: "ds",
      name: "ds",
      workspace: "image",
      record: plain("Record"),
      entity: {
        base: "Entity",
        name: "Obj",
        fields: { category: { collection: false, type: "str", required: false, default: "" } },
      },
      bbox: plain("BBox"),
      mask: plain("CompressedRLE"),
      keypoint: plain("KeyPoints"),
      multi_path: plain("MultiPath"),
      views: { image: plain("Image") },
    }),
  );
}

export const RECORD = "rec1";
const SEED_ORIGIN = clientOrigin("seed");
/** Two views: a 1000×500 image and a 400×400 one tiled to its right. */
export const VIEWS = [
  { id: "v1", width: 1000, height: 500 },
  { id: "v2", width: 400, height: 400 },
];

let counter = 0;
export function ids(prefix = "id"): () => string {
  return () => `${prefix}${++counter}`;
}

export interface World {
  readonly doc: Y.Doc;
  readonly schema: DatasetSchema;
  readonly scene: SceneModel;
  camera: Camera;
  selection: ShapeRef[];
  editable: boolean;
  template: KeypointTemplate | undefined;
  brushRadius: number;
}

/** A real record document, its scene model, and a camera at zoom 1 (1 screen px = 1 image px). */
export function world(): World {
  const doc = new Y.Doc();
  const scene = new SceneModel(doc, tileViews(VIEWS));
  scene.load();
  // The scene follows the document through its diff observer, as in the canvas.
  observeRecordChanges(doc, (changes) => scene.apply(changes));
  return {
    doc,
    schema: imageSchema(),
    scene,
    camera: { x: 0, y: 0, zoom: 1 },
    selection: [],
    editable: true,
    template: undefined,
    brushRadius: 10,
  };
}

function ctxOf(w: World): ToolContext {
  const input: ToolContextInput = {
    scene: w.scene,
    camera: w.camera,
    editable: w.editable,
    selection: w.selection,
    template: w.template,
    brushRadius: w.brushRadius,
  };
  return makeToolContext(input);
}

/** Adds an entity with one annotation (the scene follows through its diff observer if attached). */
export function seed(
  w: World,
  table: ShapeTable,
  row: Row,
  entity: Row = { category: "car" },
): { ref: ShapeRef; entityId: string } {
  const r = createEntity({ doc: w.doc, schema: w.schema, recordId: RECORD, newId: ids(table) }, SEED_ORIGIN, {
    entity,
    annotation: { table, row },
  });
  return { ref: { table, id: r.annotationId as string }, entityId: r.entityId };
}

/** A pointer at normalised (x, y) of a view, with its screen position under the world's camera. */
export function at(w: World, x: number, y: number, viewId = "v1"): ToolPoint {
  const t = w.scene.tiles.find((v) => v.id === viewId);
  if (!t) throw new Error(`no view ${viewId}`);
  return {
    viewId,
    x,
    y,
    sx: w.camera.x + (t.x + x * t.width) * w.camera.zoom,
    sy: w.camera.y + (t.y + y * t.height) * w.camera.zoom,
  };
}

const NO_MODS = { shift: false, ctrl: false, alt: false };
export const down = (p: ToolPoint, mods: Partial<typeof NO_MODS> = {}, button = 0): ToolEvent => ({
  type: "down",
  p,
  button,
  ...NO_MODS,
  ...mods,
});
export const move = (p: ToolPoint, mods: Partial<typeof NO_MODS> = {}): ToolEvent => ({
  type: "move",
  p,
  ...NO_MODS,
  ...mods,
});
export const up = (p: ToolPoint, mods: Partial<typeof NO_MODS> = {}): ToolEvent => ({
  type: "up",
  p,
  ...NO_MODS,
  ...mods,
});
export const key = (k: string, phase: "down" | "up" = "down", mods: Partial<typeof NO_MODS> = {}): ToolEvent => ({
  type: "key",
  key: k,
  phase,
  ...NO_MODS,
  ...mods,
});

/** Runs events through a tool, threading the state; returns the final state, all effects, and the last `handled`. */
export function run<S>(
  tool: Tool<S>,
  w: World,
  events: readonly ToolEvent[],
  state: S = tool.initial(),
): { state: S; effects: Effect[]; handled: boolean | undefined } {
  const effects: Effect[] = [];
  let handled: boolean | undefined;
  for (const e of events) {
    const t = tool.transition(state, e, ctxOf(w));
    state = t.state;
    effects.push(...t.effects);
    handled = t.handled;
  }
  return { state, effects, handled };
}

export function ofType<T extends Effect["type"]>(
  effects: readonly Effect[],
  type: T,
): Array<Extract<Effect, { type: T }>> {
  return effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
}

export const PERSON: KeypointTemplate = {
  id: "tri",
  labels: ["head", "left", "right"],
  edges: [
    [0, 1],
    [0, 2],
  ],
  layout: [
    [0.5, 0],
    [0, 1],
    [1, 1],
  ],
};
