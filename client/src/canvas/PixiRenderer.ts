import { Application, Container } from "pixi.js";
import { tableMap } from "@tessera/shared-crdt";
import type { CanvasOptions, KeypointTemplate } from "./types.js";
import type { CanvasRenderer } from "./renderer.js";
import type { TesseraCanvas } from "./TesseraCanvas.js";
import { Emitter, FrameCounter } from "./Emitter.js";
import { visibleWorld, type Camera } from "./scene/camera.js";
import type { SceneItem, SceneModel } from "./scene/SceneModel.js";
import { AnnotationLayer } from "./render/AnnotationLayer.js";
import { ImageLayer } from "./render/ImageLayer.js";
import { LabelLayer } from "./render/LabelLayer.js";
import { LiveLayer } from "./render/LiveLayer.js";
import { OverlayLayer } from "./render/OverlayLayer.js";
import { InputController } from "./input/InputController.js";
import type { PeerTracker } from "./live/peers.js";
import { createGlContext, probeRenderer, SOFTWARE_RENDERER } from "./glContext.js";

/**
 * Paints the canvas state with PixiJS (WebGL): a world container (a render group, so pan/zoom
 * is one GPU transform) holding the image sprites and the retained annotation layer, and
 * screen-space layers above it for labels, local feedback and other people. It renders on demand
 * — only frames where something changed — from its own requestAnimationFrame loop.
 */
export interface RendererEvents {
  imageShown: { ms: number };
  annotationsShown: { ms: number; count: number };
}

/** Per-frame time spent building annotation views while a record loads. */
const BUILD_BUDGET_MS = 10;
/** Annotations stay hidden until the image shows, or this long if it never does. */
const IMAGE_WAIT_MS = 1500;

export class PixiRenderer implements CanvasRenderer {
  readonly events = new Emitter<RendererEvents>();
  readonly rendererName: string;
  screenW = 0;
  screenH = 0;
  private readonly world = new Container({ isRenderGroup: true, label: "world" });
  private readonly images: ImageLayer;
  private readonly annotations: AnnotationLayer;
  private readonly labels: LabelLayer;
  private readonly overlay: OverlayLayer;
  private readonly live: LiveLayer;
  private readonly input: InputController;
  private readonly frames = new FrameCounter();
  private readonly resize: ResizeObserver;
  private readonly offSink: () => void;
  private raf = 0;
  private readonly viewRect: [number, number, number, number] = [0, 0, 0, 0];
  private needsRender = true;
  private cameraDirty = true;
  private lastCameraAt = -Infinity;
  private fitted = false;
  /** Milestones: 0 = not yet, 1 = painted in the last render (report next frame), 2 = reported. */
  private imageMilestone = 0;
  private annotationsMilestone = 0;
  private loaded = false;
  private imageSeen = false;
  private destroyed = false;

  private constructor(
    private readonly app: Application,
    private readonly container: HTMLElement,
    private readonly canvas: TesseraCanvas,
    private readonly scene: SceneModel,
    options: CanvasOptions,
    private readonly t0: number,
    rendererName: string,
  ) {
    this.rendererName = rendererName;
    const templates = new Map<string, KeypointTemplate>(options.templates.map((t) => [t.id, t]));
    const labelOf = options.labelOf ?? defaultLabelOf(options);
    this.images = new ImageLayer(scene.tiles);
    this.annotations = new AnnotationLayer({
      scene,
      colorOf: options.colorOf,
      templates: options.templates,
      fill: options.fill ?? true,
      now: () => performance.now(),
    });
    this.labels = new LabelLayer(scene, (item) => this.annotations.isShown(item), labelOf, options.colorOf);
    this.overlay = new OverlayLayer(scene, options.colorOf, templates);
    this.live = new LiveLayer(scene);
    this.annotations.root.visible = false;
    this.world.addChild(this.images.root, this.annotations.root);
    app.stage.eventMode = "none";
    app.stage.addChild(this.world, this.labels.root, this.live.root, this.overlay.root);
    this.offSink = scene.addSink(this.annotations);
    scene.addSink({
      create: () => this.changed(),
      update: (item) => this.itemChanged(item),
      destroy: (item) => this.itemRemoved(item),
    });
    container.appendChild(app.canvas);
    app.canvas.style.display = "block";
    this.input = new InputController(app.canvas, {
      toPoint: (x, y) => canvas.toPoint(x, y),
      tool: (e) => canvas.toolEvent(e),
      pan: (dx, dy) => canvas.pan(dx, dy),
      zoomAt: (x, y, f) => canvas.zoomAt(x, y, f),
      panMode: () => canvas.panMode,
    });
    this.resize = new ResizeObserver(() => this.onResize());
    this.resize.observe(container);
  }

  static async create(
    container: HTMLElement,
    canvas: TesseraCanvas,
    scene: SceneModel,
    options: CanvasOptions,
    t0: number,
  ): Promise<PixiRenderer> {
    // Multisampling and translucent fills are cheap on a GPU but dominate a software rasteriser's
    // frame (measured: 10k shapes zoomed in went from 30 to 5–7 fps with either), so they default
    // off there.
    const software = SOFTWARE_RENDERER.test(probeRenderer());
    const antialias = options.antialias ?? !software;
    const { canvas: el, context, rendererName } = createGlContext(antialias);
    const app = new Application();
    await app.init({
      preference: "webgl",
      ...(context && !location.search.includes("ownctx=0") ? { canvas: el, context } : {}),
      antialias,
      background: 0x1b1d21,
      resolution: window.devicePixelRatio || 1,
      autoDensity: true,
      autoStart: false,
      sharedTicker: false,
      width: Math.max(1, container.clientWidth),
      height: Math.max(1, container.clientHeight),
      eventFeatures: { move: false, globalMove: false, click: false, wheel: false },
    });
    app.ticker.stop();
    return new PixiRenderer(
      app,
      container,
      canvas,
      scene,
      { ...options, fill: options.fill ?? !software },
      t0,
      rendererName,
    );
  }

  /** Loads the images and the annotations, then starts the frame loop. */
  start(): void {
    this.onResize();
    void this.images.load(
      this.canvas.options.views,
      () => {
        this.imageSeen = true;
        this.changed();
      },
      (viewId, err) => console.error(`canvas: image of view ${viewId} failed to load`, err),
    );
    this.raf = requestAnimationFrame(this.frame);
  }

  private readonly frame = (now: number): void => {
    if (this.destroyed) return;
    this.raf = requestAnimationFrame(this.frame);
    const canvas = this.canvas;
    this.reportMilestones(now);
    if (this.annotations.pending > 0) {
      this.annotations.build(BUILD_BUDGET_MS);
      this.needsRender = true;
      this.labels.markDirty();
    }
    if (this.annotations.pending === 0) this.loaded = true;
    if (!this.annotations.root.visible && (this.imageSeen || now - this.t0 > IMAGE_WAIT_MS)) {
      this.annotations.root.visible = true;
      this.needsRender = true;
    }
    const cam = canvas.camera;
    const moving = now - this.lastCameraAt < 150;
    if (this.cameraDirty) {
      this.cameraDirty = false;
      this.lastCameraAt = now;
      this.world.position.set(cam.x, cam.y);
      this.world.scale.set(cam.zoom);
      const [x0, y0, x1, y1] = visibleWorld(cam, this.screenW, this.screenH, this.viewRect);
      this.annotations.setViewport(x0, y0, x1, y1, cam.zoom);
      this.overlay.markDirty();
      this.live.markDirty();
      this.needsRender = true;
    }
    const wasCached = this.annotations.cached;
    const res = this.app.renderer.resolution;
    this.annotations.updateCache(cam.zoom, res, this.screenW * this.screenH * res * res, moving);
    if (wasCached !== this.annotations.cached) this.needsRender = true;
    this.overlay.draw(
      {
        hover: canvas.hoverHit,
        highlighted: canvas.highlighted,
        selection: canvas.selection,
        preview: canvas.previewShape,
        editable: canvas.editable,
      },
      cam,
    );
    this.labels.update(cam, this.screenW, this.screenH, now, moving);
    this.live.draw(cam, now);
    // Overlays redraw only when marked dirty; rendering every frame a live cursor fades is cheap.
    if (this.needsRender || this.live.animating(now) || moving) {
      this.needsRender = false;
      this.app.renderer.render(this.app.stage);
      this.frames.tick(now);
      if (this.imageSeen && this.imageMilestone === 0) this.imageMilestone = 1;
      if (this.loaded && this.annotations.root.visible && this.annotationsMilestone === 0)
        this.annotationsMilestone = 1;
    }
  };

  /** A milestone is reported on the frame after the render that painted it. */
  private reportMilestones(now: number): void {
    if (this.imageMilestone === 1) {
      this.imageMilestone = 2;
      this.events.emit("imageShown", { ms: now - this.t0 });
    }
    if (this.annotationsMilestone === 1) {
      this.annotationsMilestone = 2;
      this.events.emit("annotationsShown", { ms: now - this.t0, count: this.annotations.count });
    }
  }

  private onResize(): void {
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    if (w === this.screenW && h === this.screenH) return;
    const cam: Camera = this.canvas.camera;
    const dx = (w - this.screenW) / 2;
    const dy = (h - this.screenH) / 2;
    this.screenW = w;
    this.screenH = h;
    this.app.renderer.resize(w, h);
    if (!this.fitted) {
      this.fitted = true;
      this.canvas.fitView(false);
    } else {
      // Keep what was at the centre at the centre.
      this.canvas.setCamera({ x: cam.x + dx, y: cam.y + dy, zoom: cam.zoom }, false);
    }
    this.changed();
  }

  private changed(): void {
    this.needsRender = true;
    this.labels.markDirty();
  }

  private itemChanged(item: SceneItem): void {
    this.needsRender = true;
    this.labels.markDirty();
    const c = this.canvas;
    if (
      c.selection.some((r) => r.table === item.ref.table && r.id === item.ref.id) ||
      (c.hoverHit && c.hoverHit.ref.id === item.ref.id) ||
      this.scene.isProposal(item.entityId)
    )
      this.overlay.markDirty();
    if (this.live.involves(item.ref.table, item.ref.id)) this.live.markDirty();
  }

  private itemRemoved(_item: SceneItem): void {
    this.needsRender = true;
    this.labels.markDirty();
    this.overlay.markDirty();
    this.live.markDirty();
  }

  setCursor(css: string): void {
    this.app.canvas.style.cursor = css;
  }

  invalidate(): void {
    this.needsRender = true;
    this.annotations.restyleAll();
    this.labels.markDirty();
  }

  onCamera(): void {
    this.cameraDirty = true;
  }

  onOverlay(): void {
    this.overlay.markDirty();
    this.needsRender = true;
  }

  onPeers(tracker: PeerTracker): void {
    this.live.setPeers([...tracker.list()]);
    this.needsRender = true;
  }

  setViewImage(viewId: string, image: ImageBitmap): void {
    this.images.replace(viewId, image);
    this.imageSeen = true;
    this.needsRender = true;
  }

  setAdjustments(brightness: number, contrast: number): void {
    this.images.setAdjustments(brightness, contrast);
    this.needsRender = true;
  }

  restyleAll(): void {
    this.annotations.restyleAll();
    this.labels.markDirty();
    this.overlay.markDirty();
    this.needsRender = true;
  }

  fps(): number {
    return this.frames.fps(performance.now());
  }

  /** Views built so far and still queued (benchmark and tests). */
  stats(): { views: number; pending: number } {
    return { views: this.annotations.count, pending: this.annotations.pending };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    cancelAnimationFrame(this.raf);
    this.resize.disconnect();
    this.input.destroy();
    this.offSink();
    this.annotations.dispose();
    this.images.destroy();
    this.labels.destroy();
    this.overlay.destroy();
    this.live.destroy();
    this.events.clear();
    // Pixi pools batches and textures globally; release them so the next record's canvas starts clean.
    this.app.destroy({ removeView: true, releaseGlobalResources: true }, { children: true });
  }
}

/** Labels from the entity row: its `category`, else its `name`. */
function defaultLabelOf(options: CanvasOptions): (entityId: string) => string {
  const entities = tableMap(options.doc, "entities");
  return (entityId) => {
    const m = entities.get(entityId);
    if (!m) return "";
    const v = m.get("category") ?? m.get("name");
    return typeof v === "string" ? v : "";
  };
}
