import type { Graphics } from "pixi.js";
import type { ComponentTable, Row } from "@tessera/shared-crdt";
import type { KeypointTemplate, ToolName } from "../canvas/types.js";
import type { SceneItem } from "../canvas/scene/SceneModel.js";
import type { ViewTile } from "../canvas/scene/layout.js";
import type { AnnotationView, ViewEnv } from "../canvas/render/views/AnnotationView.js";
import type { ScreenXf } from "../canvas/render/screenShapes.js";
import type { NBox } from "../tools/geometry.js";
import type { ViewSizeOf } from "../tools/shapes.js";
import type { CursorStyle, ShapeKind, ShapeOf, Tool, VertexTable } from "../tools/types.js";

/**
 * What the client knows about one annotation kind, in one place (in the spirit of tldraw's one
 * `ShapeUtil` per shape): how its rows become a {@link Shape}, the shape's geometry and hit test, how the Pixi
 * scene and the screen-space overlays draw it, its drawing tools and its label in the object
 * list. Kind modules are `client/src/kinds/<table>.kind.ts`, each exporting `kindView`; the
 * registry (`./registry.ts`) finds them without a list, so a new kind is one new module.
 */

/** A normalised axis-aligned box `[minX, minY, maxX, maxY]`. */
export type Bounds = [number, number, number, number];

/** An outline ring in screen pixels. */
export interface Ring {
  points: number[];
  closed: boolean;
}

/** What screen-space drawing may need beyond the shape: the keypoint templates. */
export interface MarkEnv {
  template(id: string): KeypointTemplate | undefined;
}

/**
 * Geometry shared by annotation kinds and tool previews (a path being drawn, a brush stroke): what
 * the scene, the overlays and the select tool ask of any shape.
 */
export interface ShapeGeometry<K extends ShapeKind = ShapeKind> {
  /** The {@link Shape} `kind` this geometry handles. */
  readonly shape: K;
  bounds(s: ShapeOf<K>): Bounds;
  /** Outline rings in screen pixels (hover, selection, previews, other people's selections). */
  outline(xf: ScreenXf, s: ShapeOf<K>): Ring[];
  /** Extra screen-space marks drawn with the outline (keypoint markers). */
  marks?(g: Graphics, xf: ScreenXf, s: ShapeOf<K>, color: number, env: MarkEnv): void;
  /** The preview of a shape being drawn; default: the outline and the marks in the preview colour. */
  drawPreview?(g: Graphics, xf: ScreenXf, s: ShapeOf<K>, env: MarkEnv): void;
  /**
   * Exact hit test against a world point with a tolerance in world units: the covered area in
   * world px² (smaller wins among overlapping shapes; lines score 0), or -1 on a miss.
   * `cached(decode)` memoises with the scene item what the kind decodes to hit-test (a mask's runs).
   */
  hitScore(
    s: ShapeOf<K>,
    tile: ViewTile,
    wx: number,
    wy: number,
    tol: number,
    cached: (decode: () => readonly number[] | null) => readonly number[] | null,
  ): number;
}

/** A drawing tool a kind brings: its rail button, key and cursor. */
export interface KindTool {
  readonly name: ToolName;
  /** The one-letter shortcut (lower case). */
  readonly key: string;
  readonly label: string;
  /** SVG path (22×22 viewBox) of the rail icon. */
  readonly icon: string;
  readonly cursor: CursorStyle;
  readonly tool: Tool<unknown>;
  /** Canvas settings the tool uses, shown in the options strip while it is on. */
  readonly options?: readonly ToolOption[];
}

/** The canvas settings a tool may use: the keypoint template, the brush size. */
export type ToolOption = "template" | "brushSize";

interface KindViewBase<K extends ShapeKind> extends ShapeGeometry<K> {
  /** The kind's id: its Pixano table name. */
  readonly table: ComponentTable;
  /** Position among the kinds (tool rail order). */
  readonly order: number;
  /** Short label in the object list. */
  readonly label: string;
  /** The label of one row when it depends on the row (a `multi_paths` row is a polygon or a polyline). */
  labelOfRow?(row: Row): string;
  /** Row fields its shape is read from (besides `view_id`): a change to one redraws the row. */
  readonly geometryFields: readonly string[];
  /** The shape a row draws, or null when the row cannot be drawn (wrong arity, no view size for pixels). */
  shapeOfRow(row: Row, sizeOf: ViewSizeOf): ShapeOf<K> | null;
  /** The retained Pixi display object(s) of one row in the annotation scene. */
  createView(item: SceneItem, env: ViewEnv): AnnotationView;
  readonly tools: readonly KindTool[];
  /** The box whose eight handles resize the shape (boxes), or absent. */
  handleBox?(s: ShapeOf<K>): NBox;
  /** Patch writing a resized box back (with {@link handleBox}). */
  resizePatch?(b: NBox): Row;
  /** Patch translating the shape; absent when it cannot be moved (masks: the RLE would need re-encoding). */
  translate?(s: ShapeOf<K>, dx: number, dy: number): Row;
  /** Patch for a plain click on vertex `index` (keypoints cycle their visibility), or absent. */
  vertexClick?(s: ShapeOf<K>, index: number): Row;
}

/** A kind without draggable vertices. */
export interface PlainKindView<K extends ShapeKind = ShapeKind> extends KindViewBase<K> {
  readonly vertices?: undefined;
}

/** A kind whose vertices the select tool drags, through the shared-crdt `moveVertex` mutator. */
export interface VertexKindView<K extends ShapeKind = ShapeKind> extends KindViewBase<K> {
  readonly table: VertexTable;
  /** Vertices a person can drag (flat normalised coordinates). */
  vertices(s: ShapeOf<K>): readonly number[];
}

export type KindView<K extends ShapeKind = ShapeKind> = PlainKindView<K> | VertexKindView<K>;

/** Whether a kind's vertices can be dragged. */
export function hasVertices(k: KindView): k is VertexKindView {
  return k.vertices !== undefined;
}

/** The label-only entry of a kind the client lists but does not draw (tracklets, relations…). */
export interface KindListing {
  readonly table: ComponentTable;
  readonly label: string;
}
