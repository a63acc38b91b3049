import { createEffect, onCleanup, type Accessor } from "solid-js";
import { ReviewPinLayer } from "../canvas/render/ReviewPinLayer.js";
import type { CanvasController } from "../canvas/types.js";
import type { PinState } from "./pinState.js";

/**
 * Mounts the review pins over the canvas once it runs, and keeps them current: the record's pins
 * (live: a thread someone opens arrives over the live channel and shows at once), the resolved
 * toggle, and the point / region capture the review panel asks for. Renders nothing itself.
 */
export function ReviewPins(props: {
  controller: Accessor<CanvasController | null>;
  host: () => HTMLElement | undefined;
  pins: PinState;
}) {
  createEffect(() => {
    const c = props.controller();
    const host = props.host();
    if (!c || !host) return;
    const layer = new ReviewPinLayer({ host, world: () => c.pinWorld(), onOpen: (id) => props.pins.focus(id) });
    createEffect(() => layer.setPins(props.pins.pins()));
    createEffect(() => layer.setShowResolved(props.pins.showResolved()));
    // A capture replaced or called off from the panel answers too: only the current one counts.
    let generation = 0;
    createEffect(() => {
      const kind = props.pins.capturing();
      const mine = ++generation;
      if (kind) layer.capture(kind, (pin) => mine === generation && props.pins.captured(pin));
      else layer.cancelCapture();
    });
    onCleanup(() => layer.destroy());
  });
  return null;
}
