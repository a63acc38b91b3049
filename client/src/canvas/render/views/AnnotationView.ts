import type { Container } from "pixi.js";
import type { KeypointTemplate } from "../../types.js";
import type { SceneItem } from "../../scene/SceneModel.js";

/** The layers annotation views draw into, grouped by draw kind so Pixi batches each layer whole. */
export interface AnnotationLayers {
  readonly masks: Container;
  readonly fills: Container;
  readonly strokes: Container;
  readonly points: Container;
}

export interface ViewStyle {
  readonly color: number;
  readonly alpha: number;
}

export interface ViewEnv {
  readonly layers: AnnotationLayers;
  readonly fill: boolean;
  template(id: string): KeypointTemplate | undefined;
  /**
   * One instance of `ctor` per annotation layer, shared by every view that asks (a kind's texture
   * cache), destroyed with the layer.
   */
  shared<T extends { destroy(): void }>(ctor: new () => T): T;
}

/**
 * One retained display object (or a few, one per layer) per annotation row. Geometry is drawn in
 * world coordinates once and redrawn only when the row's geometry changes (`redraw`); colour,
 * alpha and visibility are cheap property changes.
 */
export interface AnnotationView {
  readonly item: SceneItem;
  /** Draws the item's geometry; `zoom` is the quantised zoom for screen-sized details. */
  redraw(zoom: number): void;
  restyle(style: ViewStyle): void;
  setVisible(visible: boolean): void;
  /** Whether the view has zoom-dependent details (keypoint markers) to redraw on zoom steps. */
  readonly zoomDependent: boolean;
  drawnZoom: number;
  destroy(): void;
}
