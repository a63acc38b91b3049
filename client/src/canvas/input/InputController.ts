import type { ToolEvent, ToolPoint } from "../../tools/types.js";

/**
 * DOM input → canvas intents. Pointer events become tool events (with modifiers); the wheel
 * zooms around the pointer; the middle button, or any button while Space is held, pans. The
 * element keeps pointer capture during a gesture so drags continue outside it. Keyboard input is
 * routed by the workspace through `CanvasController.key`, not read here.
 */
export interface InputSink {
  toPoint(sx: number, sy: number): ToolPoint;
  tool(event: ToolEvent): void;
  pan(dx: number, dy: number): void;
  zoomAt(sx: number, sy: number, factor: number): void;
  panMode(): boolean;
}

export class InputController {
  private panning: { x: number; y: number; id: number } | null = null;
  private readonly off: Array<() => void> = [];

  constructor(
    private readonly el: HTMLElement,
    private readonly sink: InputSink,
  ) {
    const on = <K extends keyof HTMLElementEventMap>(
      type: K,
      fn: (e: HTMLElementEventMap[K]) => void,
      opts?: AddEventListenerOptions,
    ) => {
      el.addEventListener(type, fn as EventListener, opts);
      this.off.push(() => el.removeEventListener(type, fn as EventListener, opts));
    };
    on("pointerdown", (e) => this.down(e));
    on("pointermove", (e) => this.move(e));
    on("pointerup", (e) => this.up(e));
    on("pointercancel", () => this.cancel());
    on("pointerleave", () => this.panning === null && this.sink.tool({ type: "leave" }));
    on("wheel", (e) => this.wheel(e), { passive: false });
    on("contextmenu", (e) => e.preventDefault());
    el.style.touchAction = "none";
  }

  private local(e: PointerEvent | WheelEvent): [number, number] {
    const r = this.el.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  private mods(e: PointerEvent) {
    return { shift: e.shiftKey, ctrl: e.ctrlKey || e.metaKey, alt: e.altKey };
  }

  private down(e: PointerEvent): void {
    const [x, y] = this.local(e);
    this.el.setPointerCapture(e.pointerId);
    if (e.button === 1 || (e.button === 0 && this.sink.panMode())) {
      e.preventDefault();
      this.panning = { x, y, id: e.pointerId };
      return;
    }
    if (e.button !== 0) return;
    this.sink.tool({ type: "down", p: this.sink.toPoint(x, y), button: e.button, ...this.mods(e) });
  }

  private move(e: PointerEvent): void {
    const [x, y] = this.local(e);
    if (this.panning && this.panning.id === e.pointerId) {
      this.sink.pan(x - this.panning.x, y - this.panning.y);
      this.panning = { x, y, id: e.pointerId };
      return;
    }
    this.sink.tool({ type: "move", p: this.sink.toPoint(x, y), ...this.mods(e) });
  }

  private up(e: PointerEvent): void {
    const [x, y] = this.local(e);
    if (this.el.hasPointerCapture(e.pointerId)) this.el.releasePointerCapture(e.pointerId);
    if (this.panning && this.panning.id === e.pointerId) {
      this.panning = null;
      return;
    }
    if (e.button !== 0) return;
    this.sink.tool({ type: "up", p: this.sink.toPoint(x, y), ...this.mods(e) });
  }

  private cancel(): void {
    this.panning = null;
    this.sink.tool({ type: "cancel" });
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const [x, y] = this.local(e);
    // Pixel-mode wheels and trackpads give small deltas: scale smoothly rather than by fixed steps.
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
    this.sink.zoomAt(x, y, Math.exp(-delta * 0.0015));
  }

  destroy(): void {
    for (const f of this.off) f();
    this.off.length = 0;
  }
}
