import type { PeerTracker } from "./live/peers.js";

/**
 * What the canvas controller (`TesseraCanvas`) asks of the renderer that paints it (`PixiRenderer`,
 * or a test's recorder): the screen's size, the cursor, and a repaint of what changed.
 */
export interface CanvasRenderer {
  readonly screenW: number;
  readonly screenH: number;
  setCursor(css: string): void;
  invalidate(): void;
  onCamera(): void;
  onOverlay(): void;
  onPeers(tracker: PeerTracker): void;
  setAdjustments(brightness: number, contrast: number): void;
  restyleAll(): void;
  fps(): number;
  destroy(): void;
  /** Frame mode: shows this image on a view's tile (the frame's picture replaces the previous one). */
  setViewImage?(viewId: string, image: ImageBitmap): void;
}
