import type { Awareness } from "y-protocols/awareness";
import type { CanvasAwareness, SelectionRef, ToolName, Viewport } from "../types.js";
import { Throttle, type Clock } from "../clock.js";

/**
 * Writes the local person's canvas state into awareness: the cursor (throttled to ~20 Hz), the
 * viewport (~10 Hz), and the selection, tool and dragged shape (at once). Each write only sets
 * its own field, leaving `user`, `recordId`… to the workspace.
 */
export class AwarenessWriter {
  private cursorValue: CanvasAwareness["cursor"] = null;
  private viewportValue: Viewport | null = null;
  private readonly cursorThrottle: Throttle;
  private readonly viewportThrottle: Throttle;

  constructor(
    private readonly awareness: Pick<Awareness, "setLocalStateField" | "getLocalState">,
    clock: Clock,
    cursorMs = 50,
    viewportMs = 100,
  ) {
    this.cursorThrottle = new Throttle(clock, cursorMs, () => this.set("cursor", this.cursorValue));
    this.viewportThrottle = new Throttle(
      clock,
      viewportMs,
      () => this.viewportValue && this.set("viewport", this.viewportValue),
    );
  }

  private set(field: keyof CanvasAwareness, value: unknown): void {
    // A destroyed awareness (record closed) has no local state; nothing to tell anyone then.
    if (this.awareness.getLocalState() === null) return;
    this.awareness.setLocalStateField(field, value);
  }

  cursor(c: CanvasAwareness["cursor"]): void {
    this.cursorValue = c;
    if (c === null) {
      this.cursorThrottle.cancel();
      this.set("cursor", null);
      return;
    }
    this.cursorThrottle.request();
  }

  viewport(v: Viewport): void {
    this.viewportValue = v;
    this.viewportThrottle.request();
  }

  selection(refs: readonly SelectionRef[]): void {
    this.set(
      "selection",
      refs.map((r) => ({ table: r.table, id: r.id })),
    );
  }

  tool(t: ToolName): void {
    this.set("tool", t);
  }

  dragging(ref: SelectionRef | null): void {
    this.cursorThrottle.flush();
    this.set("dragging", ref ? { table: ref.table, id: ref.id } : null);
  }

  destroy(): void {
    this.cursorThrottle.cancel();
    this.viewportThrottle.cancel();
  }
}
