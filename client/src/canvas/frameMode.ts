import type { FrameEditHooks } from "./EffectApplier.js";
import { trackOfSynthetic } from "./scene/FrameIndex.js";
import type { SceneModel } from "./scene/SceneModel.js";
import type { CanvasView, FrameMode } from "./types.js";

/**
 * The canvas's frame mode helpers (video records), apart from the controller: putting a frame's
 * images on the tiles, and the hooks that make the effect applier write tracks and keyframes.
 */

/** Shows every view's image of frame `index` (at once when decoded), then calls `done` if it is still current. */
export function showFrameImages(
  mode: FrameMode,
  views: readonly CanvasView[],
  index: number,
  on: { current(): boolean; put(viewId: string, image: ImageBitmap): void; done(): void },
): void {
  const pending: Array<Promise<void>> = [];
  for (const v of views) {
    const frame = mode.lookup.at(v.logicalName, index);
    if (!frame) continue;
    const put = (img: ImageBitmap) => {
      if (on.current()) on.put(v.id, img);
    };
    const got = mode.image(frame);
    if (got instanceof Promise) pending.push(got.then(put));
    else put(got);
  }
  const done = () => {
    if (on.current()) on.done();
  };
  if (pending.length === 0) done();
  else
    Promise.all(pending).then(done, (err: unknown) =>
      console.error(`canvas: an image of frame ${index} failed to load`, err),
    );
}

/** Where shapes drawn in frame mode land: the frame shown on their tile, the selected track. */
export function frameEditHooks(o: {
  mode(): FrameMode | null;
  readonly views: readonly CanvasView[];
  readonly scene: SceneModel;
  track(): string | null;
}): FrameEditHooks {
  const frameOn = (tileId: string) => {
    const mode = o.mode();
    const view = o.views.find((v) => v.id === tileId);
    const f = mode && view ? mode.lookup.at(view.logicalName, o.scene.frame) : undefined;
    if (!f || !view) return null;
    const frame = { index: f.index, id: f.id, timestamp: f.timestamp };
    return { frame: f.frameId === undefined ? frame : { ...frame, frameId: f.frameId }, viewId: view.id };
  };
  return {
    frameOn,
    activeTrack: () => o.track(),
    synthetic: (ref) => {
      const trackletId = trackOfSynthetic(ref.id);
      const tile = o.scene.get(ref)?.tile.id;
      const on = trackletId !== null && tile !== undefined ? frameOn(tile) : null;
      return on && trackletId !== null ? { trackletId, frame: on.frame } : null;
    },
  };
}
