import type { PinWorld } from "./render/pinLayout.js";
import type * as Y from "yjs";
import type { Awareness } from "y-protocols/awareness";
import type { ComponentTable, DatasetSchema } from "@tessera/shared-crdt";
import type { SegmentBackend } from "./segmentSession.js";

/**
 * The contract between the workspace (Solid panels, sync, keyboard) and the canvas (PixiJS scene,
 * tools). The canvas reads the record document and awareness, writes edits through shared-crdt
 * mutators with the local origin, and never re-renders from Solid: panels talk to it only through
 * {@link CanvasController}.
 */
/**
 * Names of the canvas tools: `select`, plus the drawing tools the kind modules
 * (`client/src/kinds/*.kind.ts`) declare. A kind module adding a tool names it here by interface
 * merging: `declare module "../canvas/types.js" { interface ToolNames { ellipse: true } }`.
 */
export interface ToolNames {
  select: true;
  bbox: true;
  polygon: true;
  polyline: true;
  keypoints: true;
  brush: true;
  eraser: true;
}

export type ToolName = keyof ToolNames;

/** A view (media row) shown on the canvas; multi-view records tile several. */
export interface CanvasView {
  readonly id: string;
  readonly logicalName: string;
  /** URL of the full image (blob route or media URL). */
  readonly src: string;
  readonly width: number;
  readonly height: number;
}

/** Image-space viewport: the centre (normalised 0..1 of the first view) and the zoom (screen px per image px). */
export interface Viewport {
  readonly viewId: string;
  readonly cx: number;
  readonly cy: number;
  readonly zoom: number;
}

export interface SelectionRef {
  readonly table: ComponentTable;
  readonly id: string;
}

export interface KeypointTemplate {
  readonly id: string;
  readonly labels: readonly string[];
  /** Pairs of point indexes drawn as the skeleton. */
  readonly edges: ReadonlyArray<readonly [number, number]>;
  /** Default layout of the points inside a unit box (x, y in 0..1), used when placing the template. */
  readonly layout: ReadonlyArray<readonly [number, number]>;
  /** The category new skeletons of this template get (a dataset declaration may say). */
  readonly category?: string;
}

/** Awareness fields the canvas reads (remote people) and writes (the local person). */
export interface CanvasAwareness {
  readonly user?: { id: string; name: string; color: string; role: string };
  /** Pointer in image coordinates (normalised to the view) or null when outside. */
  readonly cursor?: { viewId: string; x: number; y: number } | null;
  readonly viewport?: Viewport;
  readonly selection?: readonly SelectionRef[];
  readonly tool?: ToolName;
  /** A shape being dragged right now (the live preview others see). */
  readonly dragging?: { table: ComponentTable; id: string } | null;
  readonly recordId?: string;
  readonly frame?: number | null;
}

/** One frame of a video view (a `sequence_frames` row). */
export interface VideoFrameInfo {
  readonly id: string;
  readonly logicalName: string;
  readonly index: number;
  /** Seconds (or whatever unit the dataset stored; -1 when unknown). */
  readonly timestamp: number;
  /** `frame_id` of rows drawn on it when not `id`: a video file's frame has no row (`""`; `id` is the `videos` row). */
  readonly frameId?: string;
}

/** The frames of a video record, as the video workspace lists them once. */
export interface FrameLookup {
  byId(frameId: string): VideoFrameInfo | undefined;
  at(logicalName: string, index: number): VideoFrameInfo | undefined;
}

/** Frame mode (video records): the canvas shows one frame of every view at a time. */
export interface FrameMode {
  readonly lookup: FrameLookup;
  /** The decoded image of a frame (from the workspace's cache, or once fetched). */
  image(frame: VideoFrameInfo): ImageBitmap | Promise<ImageBitmap>;
}

export interface CanvasOptions {
  readonly doc: Y.Doc;
  readonly schema: DatasetSchema;
  readonly recordId: string;
  readonly views: readonly CanvasView[];
  readonly awareness: Awareness;
  /** The local transaction origin (so per-user undo tracks only this person's edits). */
  readonly origin: unknown;
  readonly newId: () => string;
  /** Colour of a row by its entity's category (panels own the palette). */
  readonly colorOf: (entityId: string) => number;
  readonly templates: readonly KeypointTemplate[];
  /** When false every edit is refused (viewer, validated record). */
  readonly editable: boolean;
  /** Label drawn next to shapes when zoomed in (default: the entity's `category`, else its `name`). */
  readonly labelOf?: (entityId: string) => string;
  /**
   * The workspace's per-user undo manager (`Y.UndoManager`). When given, a whole drag is exactly
   * one undo step however long it lasts; without it the manager's `captureTimeout` groups it.
   */
  readonly undoManager?: { captureTimeout: number; stopCapturing(): void };
  /** Faint fills under boxes and polygons (default: on, off on software WebGL). */
  readonly fill?: boolean;
  /** Multisample antialiasing (default: on, off on software WebGL where it halves the frame rate). */
  readonly antialias?: boolean;
  /** Initial brush radius in image pixels (default 12). */
  readonly brushRadius?: number;
  /** Click-to-segment's server side (the segment tool): absent, the tool says it is not available. */
  readonly segment?: SegmentBackend;
}

export interface CanvasEvents {
  /** The local selection changed (rows). */
  selection: readonly SelectionRef[];
  /** A shape was completed by a drawing tool and awaits its creation form (category etc.). */
  created: { table: ComponentTable; id: string; entityId: string };
  /** The user panned or zoomed (follow mode stops on it). */
  viewportChanged: { viewport: Viewport; byUser: boolean };
  /** First image painted / all annotations drawn (for the render benchmark). */
  imageShown: { ms: number };
  annotationsShown: { ms: number; count: number };
  /** The canvas changed tool itself (back to select after a shape was drawn). */
  toolChanged: { tool: ToolName };
  /** A gesture or edit was refused (tiny box, locked shape, read-only, invalid row…): say why. */
  refused: { reason: string };
  /** `[` / `]` changed the brush radius (image pixels). */
  brushRadius: { px: number };
  /** The entity whose shape is under the pointer changed (null: none), for panels that echo it. */
  hovered: { entityId: string | null };
  /** Frame mode: the current frame changed (`setFrame`), its annotations are in the scene. */
  frame: { index: number };
  /** Frame mode: every view's image of the current frame is on screen (`ms` since `setFrame`). */
  frameShown: { index: number; ms: number };
}

export interface CanvasController {
  setTool(tool: ToolName): void;
  /** Category given to new shapes (the inline form may change it after creation). */
  setCategory(category: string): void;
  setKeypointTemplate(templateId: string): void;
  setBrushRadius(px: number): void;
  setEditable(editable: boolean): void;
  select(refs: readonly SelectionRef[]): void;
  /** Hidden entities are not drawn; locked ones are drawn but not editable. */
  setHidden(entityIds: ReadonlySet<string>): void;
  setLocked(entityIds: ReadonlySet<string>): void;
  /**
   * Model proposals (SPEC D-PROPOSAL): `pending` entities are drawn dimmed with a dashed outline;
   * `filtered` ones (below the person's score threshold, or rejected) are not drawn, like hidden ones.
   */
  setProposals(p: { readonly pending: ReadonlySet<string>; readonly filtered: ReadonlySet<string> }): void;
  /** Multipliers, 1 = unchanged (0 = black / flat grey; 2 = twice as bright / contrasted). */
  setImageAdjustments(a: { brightness: number; contrast: number }): void;
  fit(): void;
  oneToOne(): void;
  getViewport(): Viewport;
  /** Programmatic (follow mode): does not emit `viewportChanged` with byUser. */
  setViewport(v: Viewport): void;
  /** Keyboard input routed from the workspace (Enter, Escape, Backspace, Delete, Shift…). */
  key(event: { key: string; shift: boolean; ctrl: boolean; alt: boolean; type: "down" | "up" }): boolean;
  on<K extends keyof CanvasEvents>(event: K, fn: (payload: CanvasEvents[K]) => void): () => void;
  /** Frames per second measured over the last second (benchmark and debug overlay). */
  fps(): number;
  getTool(): ToolName;
  /** The local selection (rows of drawable tables). */
  getSelection(): readonly SelectionRef[];
  /** Re-reads colours and labels of every shape (the palette changed outside the document). */
  refreshStyles(): void;
  /** Outlines every shape of these entities, as hovering them does (a panel hovering their text, say). */
  highlight(entityIds: ReadonlySet<string>): void;
  /**
   * Turns on frame mode (video workspace): from now on only the current frame's per-frame rows are
   * drawn, plus each track's interpolated shapes (dashed), and new shapes become tracks.
   */
  enableFrames(mode: FrameMode, frame: number): void;
  /** Frame mode: shows frame `index` of every view (its image and annotations). */
  setFrame(index: number): void;
  /** The current frame (-1 outside frame mode). */
  getFrame(): number;
  /** The canvas as review pins see it now: camera, views, frame, object bounds (`render/pinLayout.ts`). */
  pinWorld(): PinWorld;
  /** Frame mode: selects a track (its shapes on this frame); new shapes then join it as keyframes. */
  selectTrack(trackletId: string | null): void;
  /** Frame mode: the selected track, kept across frames where it shows nothing. */
  getTrack(): string | null;
  destroy(): void;
}
