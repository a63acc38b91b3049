import type { ComponentTable, moveVertex, Row } from "@tessera/shared-crdt";
import type { KeypointTemplate, SelectionRef, ToolName } from "../canvas/types.js";

/**
 * The vocabulary of the drawing/editing tools. Tools are pure state machines
 * (`transition(state, event, ctx) → { state, effects }`): they see the pointer in normalised view
 * coordinates and the scene through {@link ToolContext} lookups, and describe what should happen
 * as plain-data {@link Effect}s that the canvas applies (document mutators, previews, awareness).
 * Nothing here touches the DOM, Pixi or Yjs, so every tool is tested as event sequences.
 */

/**
 * Tables the canvas can draw and edit: any component table, drawn when a kind view
 * (`client/src/kinds/`) is registered for it. A kind's id is its Pixano table name.
 */
export type ShapeTable = ComponentTable;

/** A reference to a drawable row. */
export interface ShapeRef extends SelectionRef {
  readonly table: ShapeTable;
}

/** Tables whose rows have vertices the shared-crdt `moveVertex` mutator can move. */
export type VertexTable = Parameters<typeof moveVertex>[2];

/** A COCO RLE as stored in the `masks` table. */
interface MaskRle {
  readonly size: readonly number[];
  readonly counts: string;
}

/**
 * Geometry of one annotation or preview, by `kind`, always normalised to its view (0..1, top-left
 * origin), whatever the stored row used (pixel boxes are normalised when read). A kind module
 * (`client/src/kinds/*.kind.ts`) adding a new shape declares it here by interface merging:
 * `declare module "../tools/types.js" { interface ShapeKinds { ellipse: EllipseShape } }`.
 *
 * @public (kind modules augment it)
 */
export interface ShapeKinds {
  box: {
    readonly kind: "box";
    readonly viewId: string;
    readonly x: number;
    readonly y: number;
    readonly w: number;
    readonly h: number;
  };
  path: {
    readonly kind: "path";
    readonly viewId: string;
    readonly coords: readonly number[];
    readonly numPoints: readonly number[];
    readonly closed: boolean;
  };
  keypoints: {
    readonly kind: "keypoints";
    readonly viewId: string;
    readonly coords: readonly number[];
    readonly states: readonly string[];
    readonly templateId: string;
  };
  mask: {
    readonly kind: "mask";
    readonly viewId: string;
    readonly rle: MaskRle;
    /** Tight box of the on pixels, normalised `[x, y, w, h]` (all zeros for an empty mask). */
    readonly box: readonly [number, number, number, number];
  };
  /** A path being drawn: finished rings plus the ring in progress and the rubber band to the pointer. */
  draft: {
    readonly kind: "draft";
    readonly viewId: string;
    readonly rings: ReadonlyArray<readonly number[]>;
    readonly current: readonly number[];
    readonly pointer: readonly [number, number] | null;
    readonly closed: boolean;
  };
  /** A brush or eraser stroke in progress; `points` normalised, `radius` in image pixels. */
  stroke: {
    readonly kind: "stroke";
    readonly viewId: string;
    readonly points: readonly number[];
    readonly radius: number;
    readonly erase: boolean;
  };
}

export type ShapeKind = keyof ShapeKinds;
export type Shape = ShapeKinds[ShapeKind];
export type ShapeOf<K extends ShapeKind> = ShapeKinds[K];

/** A pointer position: normalised to the view under it, plus the screen position (CSS px). */
export interface ToolPoint {
  readonly viewId: string;
  readonly x: number;
  readonly y: number;
  readonly sx: number;
  readonly sy: number;
}

interface Modifiers {
  readonly shift: boolean;
  readonly ctrl: boolean;
  readonly alt: boolean;
}

export type ToolEvent =
  | ({ readonly type: "down"; readonly p: ToolPoint; readonly button: number } & Modifiers)
  | ({ readonly type: "move"; readonly p: ToolPoint } & Modifiers)
  | ({ readonly type: "up"; readonly p: ToolPoint } & Modifiers)
  | ({ readonly type: "key"; readonly key: string; readonly phase: "down" | "up" } & Modifiers)
  /** The pointer left the canvas. */
  | { readonly type: "leave" }
  /** The tool is being switched away from or the canvas lost its input: drop any gesture. */
  | { readonly type: "cancel" };

/** Which part of a shape is under the pointer. */
type HitPart =
  | { readonly type: "body" }
  | { readonly type: "vertex"; readonly index: number }
  | { readonly type: "handle"; readonly handle: BoxHandle };

export interface Hit {
  readonly ref: ShapeRef;
  readonly part: HitPart;
}

/** The eight resize handles of a box: corners and edge midpoints. */
export type BoxHandle = "nw" | "n" | "ne" | "e" | "se" | "s" | "sw" | "w";

export type CursorStyle =
  "default" | "pointer" | "crosshair" | "move" | "grab" | "grabbing" | "not-allowed" | `${BoxHandle}-resize`;

/** What a tool can read about the canvas. Lookups are pure functions of the current scene. */
export interface ToolContext {
  readonly editable: boolean;
  readonly selection: readonly ShapeRef[];
  readonly template: KeypointTemplate | undefined;
  /** Brush radius in image pixels. */
  readonly brushRadius: number;
  /** Size of one screen pixel in normalised units of a view at the current zoom. */
  pixel(viewId: string): { readonly x: number; readonly y: number };
  /** Pixel size of a view's image. */
  viewSize(viewId: string): { readonly width: number; readonly height: number } | undefined;
  /** Normalised coordinates of a pointer in another view (unclamped), for gestures that stay in one view. */
  project(p: ToolPoint, viewId: string): { readonly x: number; readonly y: number };
  /** The topmost visible shape under a point (hidden entities excluded), or null. */
  hit(p: ToolPoint): Hit | null;
  shape(ref: ShapeRef): Shape | undefined;
  /** Locked entities' shapes can be selected but not edited. */
  locked(ref: ShapeRef): boolean;
}

/** Everything a tool may ask for, as data. The canvas applies them in order. */
export type Effect =
  /** A new entity with this annotation as its first one (category from the canvas). */
  | { readonly type: "create"; readonly table: ShapeTable; readonly row: Row }
  | { readonly type: "update"; readonly table: ShapeTable; readonly id: string; readonly patch: Row }
  | {
      readonly type: "moveVertex";
      readonly table: VertexTable;
      readonly id: string;
      readonly index: number;
      readonly x: number;
      readonly y: number;
    }
  | { readonly type: "delete"; readonly refs: readonly ShapeRef[] }
  | { readonly type: "preview"; readonly shape: Shape | null }
  | { readonly type: "select"; readonly refs: readonly ShapeRef[] }
  | { readonly type: "hover"; readonly hit: Hit | null }
  | { readonly type: "setCursor"; readonly cursor: CursorStyle }
  /** A drag of an existing shape starts (non-null) or ends (null): live updates, one undo step. */
  | { readonly type: "awareness"; readonly dragging: ShapeRef | null }
  /** Pan the view by a screen-pixel delta. */
  | { readonly type: "pan"; readonly dx: number; readonly dy: number }
  | { readonly type: "brushRadius"; readonly radius: number }
  /** The gesture was refused (tiny box, too few points, locked shape…); the UI may say why. */
  | { readonly type: "refuse"; readonly reason: string }
  | { readonly type: "switchTool"; readonly tool: ToolName }
  /** Ask the server for a mask from this prompt (view pixels) and show it as the current draft. */
  | {
      readonly type: "segment";
      readonly viewId: string;
      readonly points: ReadonlyArray<readonly [number, number]>;
      readonly labels: readonly number[];
      readonly box: readonly [number, number, number, number] | null;
    }
  /** End the current draft: accept it (a normal mask) or discard it (deleted). */
  | { readonly type: "segmentDone"; readonly decision: "accept" | "discard" };

export interface Transition<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
  /** For key events: whether the tool consumed the key (otherwise the workspace may use it). */
  readonly handled?: boolean;
}

export interface Tool<S> {
  readonly name: ToolName;
  initial(): S;
  transition(state: S, event: ToolEvent, ctx: ToolContext): Transition<S>;
}

/** Constructs a transition. For key events a missing `handled` means "not consumed". */
export function step<S>(state: S, effects: readonly Effect[] = [], handled?: boolean): Transition<S> {
  return handled === undefined ? { state, effects } : { state, effects, handled };
}
