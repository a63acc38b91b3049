import type { Awareness } from "y-protocols/awareness";
import { observeRecordChanges } from "@tessera/shared-crdt";
import { SELECT_TOOL, toolEntry, type ToolEntry } from "../tools/registry.js";
import { isShapeTable } from "../kinds/registry.js";
import {
  type CursorStyle,
  type Hit,
  type Shape,
  type ShapeRef,
  type ToolEvent,
  type Transition,
} from "../tools/types.js";
import type {
  CanvasController,
  CanvasEvents,
  CanvasOptions,
  FrameMode,
  SelectionRef,
  ToolName,
  Viewport,
} from "./types.js";
import { EffectApplier, type EffectTarget, type FrameEditHooks } from "./EffectApplier.js";
import { FrameIndex } from "./scene/FrameIndex.js";
import { frameEditHooks, showFrameImages } from "./frameMode.js";
import { Emitter } from "./Emitter.js";
import { CanvasCamera } from "./CanvasCamera.js";
import type { Clock } from "./clock.js";
import type { Camera } from "./scene/camera.js";
import type { SceneModel } from "./scene/SceneModel.js";
import { makeToolContext, pointAt } from "./toolContext.js";
import { AwarenessWriter } from "./live/AwarenessWriter.js";
import { PeerTracker } from "./live/peers.js";
import type { CanvasRenderer } from "./renderer.js";
import { pinWorldOf } from "./live/pinWorld.js";
import { SegmentSession, type SegmentFrame } from "./segmentSession.js";

/**
 * The canvas controller: threads tool state machines, keeps the selection, hover, preview and
 * camera, applies tool effects, and tells the workspace what happened. It owns no Pixi object:
 * the {@link CanvasRenderer} (see `createCanvas`) draws from the state exposed here, so this
 * stays the one place that decides, and the renderer the one that paints.
 */
export class TesseraCanvas implements CanvasController {
  readonly events = new Emitter<CanvasEvents>();
  hoverHit: Hit | null = null;
  /** Entities outlined on behalf of a panel ({@link highlight}). */
  highlighted: ReadonlySet<string> = new Set();
  private hoveredEntity: string | null = null;
  previewShape: Shape | null = null;
  selection: ShapeRef[] = [];
  editable: boolean;
  private toolName: ToolName = "select";
  private tool: ToolEntry = SELECT_TOOL;
  private toolState: unknown = SELECT_TOOL.tool.initial();
  private category = "";
  private templateId: string | undefined;
  private brushRadiusPx: number;
  private spaceHeld = false;
  private readonly applier: EffectApplier;
  /** Click-to-segment's current draft and its requests to the server. */
  private readonly segmentation: SegmentSession;
  private readonly awarenessOut: AwarenessWriter;
  private readonly peers: PeerTracker;
  private readonly view: CanvasCamera;
  private renderer: CanvasRenderer | null = null;
  private unobserve: () => void = () => undefined;
  private readonly onAwareness: () => void;
  private frameMode: FrameMode | null = null;
  /** Rows leaving the scene during a frame swap are not reported one by one. */
  private swapping = false;
  /** Frame mode: the selected track (kept across frames where it shows nothing); new shapes join it. */
  private track: string | null = null;

  constructor(
    readonly options: CanvasOptions,
    readonly scene: SceneModel,
    private readonly clock: Clock,
  ) {
    this.editable = options.editable;
    this.brushRadiusPx = options.brushRadius ?? 12;
    this.templateId = options.templates[0]?.id;
    const entityColumns = options.schema.tables.get("entities")?.columns.map((c) => c.name) ?? [];
    this.applier = new EffectApplier(
      {
        doc: options.doc,
        schema: options.schema,
        recordId: options.recordId,
        newId: options.newId,
        origin: options.origin,
        clock,
        editable: () => this.editable,
        entityFields: () => (this.category && entityColumns.includes("category") ? { category: this.category } : {}),
        ...(options.undoManager ? { undoManager: options.undoManager } : {}),
        frames: this.frameHooks(),
      },
      this.effectTarget(),
    );
    this.segmentation = new SegmentSession(options.segment, {
      select: (ref) => {
        this.select([ref]);
        this.events.emit("selection", this.selection);
      },
      accept: (ref) => this.applier.acceptProposal(ref),
      // A draft that made its own track goes with it (tracklet, and the entity left with nothing).
      discard: (ref, newTrack) =>
        this.applier.apply([
          { type: "delete", refs: newTrack === null ? [ref] : [ref, { table: "tracklets", id: newTrack }] },
        ]),
      refused: (reason) => this.events.emit("refused", { reason }),
    });
    this.awarenessOut = new AwarenessWriter(options.awareness, clock);
    this.peers = new PeerTracker(options.awareness.clientID, options.recordId);
    this.view = new CanvasCamera(
      () => scene.tiles,
      () => this.renderer,
      clock,
      (viewport, byUser) => {
        this.events.emit("viewportChanged", { viewport, byUser });
        this.awarenessOut.viewport(viewport);
      },
    );
    this.onAwareness = () => {
      if (this.peers.update(awarenessStates(options.awareness), this.clock.now())) this.renderer?.onPeers(this.peers);
    };
    options.awareness.on("change", this.onAwareness);
    this.awarenessOut.tool(this.toolName);
  }

  attach(renderer: CanvasRenderer): void {
    this.renderer = renderer;
  }

  /** Reads the document into the scene (renderer sinks attached first), then follows its diffs. */
  start(): void {
    this.scene.addSink({
      create: () => undefined,
      update: () => undefined,
      destroy: (item) => {
        this.dropFromSelection(item.ref);
        if (this.hoverHit && this.hoverHit.ref.table === item.ref.table && this.hoverHit.ref.id === item.ref.id)
          this.hoverHit = null;
      },
    });
    this.scene.load();
    this.unobserve = observeRecordChanges(this.options.doc, (changes) => this.scene.apply(changes));
    this.onAwareness();
  }

  // ── tools ──────────────────────────────────────────────────────────────────────────────────

  private ctx() {
    return makeToolContext({
      scene: this.scene,
      camera: this.camera,
      editable: this.editable,
      selection: this.selection,
      template: this.options.templates.find((t) => t.id === this.templateId),
      brushRadius: this.brushRadiusPx,
    });
  }

  /** Runs one event through the current tool and applies its effects. */
  toolEvent(event: ToolEvent): Transition<unknown> {
    const t = this.tool.tool.transition(this.toolState, event, this.ctx());
    this.toolState = t.state;
    this.applier.apply(t.effects);
    if (event.type === "move" || event.type === "down" || event.type === "up") {
      const p = event.p;
      this.awarenessOut.cursor({ viewId: p.viewId, x: p.x, y: p.y });
    } else if (event.type === "leave") this.awarenessOut.cursor(null);
    return t;
  }

  toPoint(sx: number, sy: number) {
    return pointAt(this.scene, this.camera, sx, sy);
  }

  setTool(tool: ToolName): void {
    if (tool === this.toolName) return;
    const entry = toolEntry(tool);
    if (!entry) {
      console.warn(`canvas: no tool ${tool}; keeping ${this.toolName}`);
      return;
    }
    this.toolEvent({ type: "cancel" });
    this.applier.destroy();
    this.toolName = tool;
    this.tool = entry;
    this.toolState = entry.tool.initial();
    this.previewShape = null;
    this.setCursor(entry.cursor);
    this.awarenessOut.tool(tool);
    this.renderer?.onOverlay();
  }

  getTool(): ToolName {
    return this.toolName;
  }

  setCategory(category: string): void {
    this.category = category;
  }

  setKeypointTemplate(templateId: string): void {
    this.templateId = templateId;
  }

  setBrushRadius(px: number): void {
    this.brushRadiusPx = Math.max(1, px);
  }

  setEditable(editable: boolean): void {
    if (editable === this.editable) return;
    this.editable = editable;
    if (!editable) this.toolEvent({ type: "cancel" });
    this.renderer?.onOverlay();
  }

  key(e: { key: string; shift: boolean; ctrl: boolean; alt: boolean; type: "down" | "up" }): boolean {
    if (e.key === " ") {
      this.spaceHeld = e.type === "down";
      this.setCursor(this.spaceHeld ? "grab" : this.tool.cursor);
      return true;
    }
    if (e.key === "Alt") {
      this.scene.setRevealHidden(e.type === "down");
      this.renderer?.invalidate();
      return true;
    }
    const t = this.toolEvent({ type: "key", key: e.key, phase: e.type, shift: e.shift, ctrl: e.ctrl, alt: e.alt });
    return t.handled === true;
  }

  get panMode(): boolean {
    return this.spaceHeld;
  }

  // ── selection ──────────────────────────────────────────────────────────────────────────────

  select(refs: readonly SelectionRef[]): void {
    this.selection = refs
      .filter((r): r is ShapeRef => isShapeTable(r.table))
      .map((r) => ({ table: r.table, id: r.id }));
    if (this.frameMode) this.track = this.selection.map((r) => this.scene.trackOf(r)).find((t) => t !== "") ?? null;
    this.awarenessOut.selection(refs);
    this.renderer?.onOverlay();
  }

  getSelection(): readonly SelectionRef[] {
    return this.selection;
  }

  /** Rows that vanished (deleted here or by someone else) leave the selection. */
  dropFromSelection(ref: ShapeRef): void {
    if (this.swapping) return;
    const next = this.selection.filter((r) => r.table !== ref.table || r.id !== ref.id);
    if (next.length === this.selection.length) return;
    this.selection = next;
    this.awarenessOut.selection(next);
    this.events.emit("selection", next);
  }

  setHidden(entityIds: ReadonlySet<string>): void {
    this.scene.setHidden(entityIds);
    this.renderer?.onOverlay();
  }

  setLocked(entityIds: ReadonlySet<string>): void {
    this.scene.setLocked(entityIds);
    this.renderer?.onOverlay();
  }

  setProposals(p: { readonly pending: ReadonlySet<string>; readonly filtered: ReadonlySet<string> }): void {
    this.scene.setProposals(p.pending, p.filtered);
    this.renderer?.onOverlay();
  }

  refreshStyles(): void {
    this.renderer?.restyleAll();
  }

  highlight(entityIds: ReadonlySet<string>): void {
    if (entityIds.size === this.highlighted.size && [...entityIds].every((id) => this.highlighted.has(id))) return;
    this.highlighted = new Set(entityIds);
    this.renderer?.onOverlay();
  }

  setImageAdjustments(a: { brightness: number; contrast: number }): void {
    this.renderer?.setAdjustments(a.brightness, a.contrast);
  }

  // ── frames (video) ─────────────────────────────────────────────────────────────────────────

  enableFrames(mode: FrameMode, frame: number): void {
    if (this.frameMode) return;
    this.frameMode = mode;
    const tileOfView = new Map(this.options.views.map((v) => [v.logicalName, v.id]));
    const index = new FrameIndex(this.options.doc, mode.lookup, tileOfView);
    index.setFrame(frame);
    this.toolEvent({ type: "cancel" });
    this.swapping = true;
    this.scene.enableFrames(index);
    this.swapping = false;
    this.select([]);
    this.events.emit("selection", this.selection);
    this.showFrameImages(frame, performance.now());
    this.events.emit("frame", { index: frame });
    this.renderer?.onOverlay();
  }

  setFrame(index: number): void {
    if (!this.frameMode || index === this.scene.frame) return;
    const t0 = performance.now();
    // A drag in progress ends on the frame it began on.
    this.toolEvent({ type: "cancel" });
    this.applier.forgetSynthetic();
    const tracks = new Set(this.selection.map((r) => this.scene.trackOf(r)).filter((t) => t !== ""));
    // The selected track comes back on the frames where it shows, after frames where it does not.
    if (this.track !== null) tracks.add(this.track);
    this.swapping = true;
    this.scene.setFrame(index);
    this.swapping = false;
    // The selection follows its tracks to the new frame (their keyframe or interpolated shape).
    const next: ShapeRef[] = [];
    for (const item of this.scene.all()) if (tracks.has(this.scene.trackOf(item.ref))) next.push(item.ref);
    const kept = this.selection.filter((r) => this.scene.get(r) !== undefined && !next.some((n) => sameRef(n, r)));
    const track = this.track;
    this.select([...kept, ...next]);
    this.track ??= track;
    this.events.emit("selection", this.selection);
    if (this.hoverHit && !this.scene.get(this.hoverHit.ref)) this.hoverHit = null;
    this.showFrameImages(index, t0);
    this.events.emit("frame", { index });
    this.renderer?.invalidate();
    this.renderer?.onOverlay();
  }

  getFrame(): number {
    return this.scene.frame;
  }

  pinWorld() {
    return pinWorldOf(this.scene, this.camera, this.options.views, this.scene.frame);
  }

  selectTrack(trackletId: string | null): void {
    const refs: ShapeRef[] = [];
    if (trackletId !== null)
      for (const item of this.scene.all()) if (this.scene.trackOf(item.ref) === trackletId) refs.push(item.ref);
    this.select(refs);
    this.track = trackletId;
    this.events.emit("selection", this.selection);
  }

  getTrack(): string | null {
    return this.track;
  }

  /** Puts every view's image of `index` on screen, then reports `frameShown` (unless the frame moved on). */
  private showFrameImages(index: number, t0: number): void {
    if (!this.frameMode) return;
    showFrameImages(this.frameMode, this.options.views, index, {
      current: () => this.scene.frame === index,
      put: (viewId, img) => this.renderer?.setViewImage?.(viewId, img),
      done: () => this.events.emit("frameShown", { index, ms: performance.now() - t0 }),
    });
  }

  /** Frame mode: the frame a segment prompt on `tileId` is drawn on, and the selected track. */
  private segmentFrame(tileId: string): SegmentFrame | null {
    const hooks = this.frameHooks();
    const on = hooks.frameOn(tileId);
    return on ? { frame: on.frame, trackViewId: on.viewId, trackletId: hooks.activeTrack() } : null;
  }

  private frameHooks(): FrameEditHooks {
    return frameEditHooks({
      mode: () => this.frameMode,
      views: this.options.views,
      scene: this.scene,
      track: () => this.track,
    });
  }

  // ── camera ─────────────────────────────────────────────────────────────────────────────────

  get camera(): Camera {
    return this.view.camera;
  }

  setCamera(c: Camera, byUser: boolean): void {
    this.view.set(c, byUser);
  }

  fit(): void {
    this.view.fit(true);
  }

  /** Fits the views; the canvas's own initial fit is not a user gesture (follow mode survives it). */
  fitView(byUser: boolean): void {
    this.view.fit(byUser);
  }

  oneToOne(): void {
    this.view.oneToOne();
  }

  zoomAt(sx: number, sy: number, factor: number): void {
    this.view.zoomAt(sx, sy, factor);
  }

  getViewport(): Viewport {
    return this.view.viewport();
  }

  setViewport(v: Viewport): void {
    this.view.setViewport(v);
  }

  pan(dx: number, dy: number): void {
    this.view.pan(dx, dy);
  }

  // ── effect target ──────────────────────────────────────────────────────────────────────────

  /** Where tool effects land: user-driven, so selection changes are reported to the workspace. */
  private effectTarget(): EffectTarget {
    return {
      preview: (shape) => {
        this.previewShape = shape;
        this.renderer?.onOverlay();
      },
      hover: (hit) => {
        this.hoverHit = hit;
        this.renderer?.onOverlay();
        const entityId = (hit && this.scene.get(hit.ref)?.entityId) || null;
        if (entityId !== this.hoveredEntity) {
          this.hoveredEntity = entityId;
          this.events.emit("hovered", { entityId });
        }
      },
      setCursor: (cursor) => this.setCursor(cursor),
      pan: (dx, dy) => this.view.pan(dx, dy),
      select: (refs) => {
        this.select(refs);
        this.events.emit("selection", this.selection);
      },
      switchTool: (tool) => {
        this.setTool(tool);
        this.events.emit("toolChanged", { tool });
      },
      brushRadius: (radius) => {
        this.brushRadiusPx = radius;
        this.events.emit("brushRadius", { px: radius });
        this.renderer?.onOverlay();
      },
      refused: (reason) => this.events.emit("refused", { reason }),
      segment: (prompt) => this.segmentation.prompt({ ...prompt, onFrame: this.segmentFrame(prompt.viewId) }),
      segmentDone: (decision) => this.segmentation.done(decision),
      dragging: (ref) => this.awarenessOut.dragging(ref),
      created: (table, id, entityId) => this.events.emit("created", { table, id, entityId }),
      materialised: (_from, to) => {
        if (this.selection.some((r) => sameRef(r, to))) return;
        this.select([...this.selection.filter((r) => this.scene.get(r) !== undefined), to]);
        this.events.emit("selection", this.selection);
      },
    };
  }

  setCursor(cursor: CursorStyle): void {
    this.renderer?.setCursor(cursor);
  }

  on<K extends keyof CanvasEvents>(event: K, fn: (payload: CanvasEvents[K]) => void): () => void {
    return this.events.on(event, fn);
  }

  fps(): number {
    return this.renderer?.fps() ?? 0;
  }

  destroy(): void {
    this.applier.destroy();
    this.view.cancel();
    this.awarenessOut.cursor(null);
    this.awarenessOut.dragging(null);
    this.awarenessOut.destroy();
    this.options.awareness.off("change", this.onAwareness);
    this.unobserve();
    this.renderer?.destroy();
    this.renderer = null;
    this.events.clear();
  }
}

function sameRef(a: SelectionRef, b: SelectionRef): boolean {
  return a.table === b.table && a.id === b.id;
}

function awarenessStates(a: Awareness): ReadonlyMap<number, unknown> {
  return a.getStates() as ReadonlyMap<number, unknown>;
}
