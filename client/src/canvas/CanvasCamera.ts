import { Throttle, type Clock } from "./clock.js";
import {
  cameraOf,
  centredOn,
  fitCamera,
  panBy,
  screenToWorldX,
  screenToWorldY,
  viewportOf,
  zoomAt,
  type Camera,
} from "./scene/camera.js";
import { tilesBounds, type ViewTile } from "./scene/layout.js";
import type { Viewport } from "./types.js";

/** The screen the camera shows the views on (the canvas's renderer, once attached). */
interface CameraScreen {
  readonly screenW: number;
  readonly screenH: number;
  onCamera(): void;
}

/**
 * The canvas's camera: its moves (the user's pan and zoom, a fit, a followed viewport) and the
 * viewport reports they cause, throttled to one per 100 ms, each saying whether a user gesture
 * moved it since the last report.
 */
export class CanvasCamera {
  camera: Camera = { x: 0, y: 0, zoom: 1 };
  private byUser = false;
  private readonly reports: Throttle;

  constructor(
    private readonly tiles: () => readonly ViewTile[],
    private readonly screen: () => CameraScreen | null,
    clock: Clock,
    report: (viewport: Viewport, byUser: boolean) => void,
  ) {
    this.reports = new Throttle(clock, 100, () => {
      report(this.viewport(), this.byUser);
      this.byUser = false;
    });
  }

  set(c: Camera, byUser: boolean): void {
    this.camera = c;
    this.byUser ||= byUser;
    this.reports.request();
    this.screen()?.onCamera();
  }

  /** Fits the views; the canvas's own initial fit is not a user gesture (follow mode survives it). */
  fit(byUser: boolean): void {
    const r = this.screen();
    if (!r) return;
    this.set(fitCamera(tilesBounds(this.tiles()), r.screenW, r.screenH), byUser);
  }

  oneToOne(): void {
    const r = this.screen();
    if (!r) return;
    const wx = screenToWorldX(this.camera, r.screenW / 2);
    const wy = screenToWorldY(this.camera, r.screenH / 2);
    this.set(centredOn(wx, wy, 1, r.screenW, r.screenH), true);
  }

  zoomAt(sx: number, sy: number, factor: number): void {
    this.set(zoomAt(this.camera, sx, sy, factor), true);
  }

  pan(dx: number, dy: number): void {
    this.set(panBy(this.camera, dx, dy), true);
  }

  viewport(): Viewport {
    const r = this.screen();
    const tile = this.tiles()[0];
    if (!tile) return { viewId: "", cx: 0.5, cy: 0.5, zoom: this.camera.zoom };
    return viewportOf(this.camera, tile, r?.screenW ?? 0, r?.screenH ?? 0);
  }

  setViewport(v: Viewport): void {
    const r = this.screen();
    const tiles = this.tiles();
    const tile = tiles.find((t) => t.id === v.viewId) ?? tiles[0];
    if (!r || !tile) return;
    this.set(cameraOf(v, tile, r.screenW, r.screenH), false);
  }

  /** Drops a pending viewport report. */
  cancel(): void {
    this.reports.cancel();
  }
}
