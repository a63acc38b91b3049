import type { ReviewPin } from "@tessera/shared-crdt/api";
import { layoutPins, MIN_REGION_PX, pinFromGesture, type PinInput, type PinMark, type PinWorld } from "./pinLayout.js";

/**
 * Review pins over the canvas: a numbered marker at a point or at a pinned object's box, a dashed
 * outline for a region (SPEC RV9). DOM elements over the WebGL canvas (a few hundred at most, each
 * a click and hover target), placed each animation frame from {@link layoutPins} and rewritten
 * only when a mark moved. Clicking a marker calls `onOpen`; hovering shows the author and the
 * thread's first line. {@link capture} turns the layer into a click / drag target that makes a
 * point or region pin (Esc cancels).
 */
export interface ReviewPinLayerOptions {
  /** The canvas host (the pins' positions are relative to it, as the canvas's screen pixels). */
  readonly host: HTMLElement;
  /** The canvas now (null when it is gone). */
  readonly world: () => PinWorld | null;
  readonly onOpen: (threadId: string) => void;
}

interface MarkEl {
  readonly root: HTMLDivElement;
  readonly badge: HTMLButtonElement;
  readonly outline: HTMLDivElement;
  key: string;
}

export class ReviewPinLayer {
  private readonly root: HTMLDivElement;
  private readonly tip: HTMLDivElement;
  private readonly marks = new Map<string, MarkEl>();
  private pins: readonly PinInput[] = [];
  private showResolved = false;
  private raf = 0;
  private capturing: { readonly cancel: () => void } | null = null;

  constructor(private readonly options: ReviewPinLayerOptions) {
    this.root = document.createElement("div");
    this.root.className = "review-pins";
    this.root.dataset.testid = "review-pins";
    this.tip = document.createElement("div");
    this.tip.className = "review-pin-tip";
    this.tip.dataset.testid = "review-pin-tip";
    this.tip.hidden = true;
    this.root.appendChild(this.tip);
    options.host.appendChild(this.root);
    const tick = () => {
      this.place();
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  setPins(pins: readonly PinInput[]): void {
    this.pins = pins;
    this.place();
  }

  setShowResolved(show: boolean): void {
    this.showResolved = show;
    this.place();
  }

  /** The marks drawn now (what the e2e and the panel read). */
  layout(): PinMark[] {
    const world = this.options.world();
    return world ? layoutPins(this.pins, world, { showResolved: this.showResolved }) : [];
  }

  private place(): void {
    const seen = new Set<string>();
    for (const m of this.layout()) {
      seen.add(m.threadId);
      let el = this.marks.get(m.threadId);
      if (!el) {
        el = this.markEl(m.threadId);
        this.marks.set(m.threadId, el);
      }
      const key = `${m.kind}|${m.number}|${m.resolved}|${m.x.toFixed(1)}|${m.y.toFixed(1)}|${m.w.toFixed(1)}|${m.h.toFixed(1)}|${m.author}|${m.firstLine}`;
      if (key === el.key) continue;
      el.key = key;
      el.root.dataset.kind = m.kind;
      el.root.dataset.resolved = String(m.resolved);
      el.root.classList.toggle("resolved", m.resolved);
      el.root.style.transform = `translate(${m.x.toFixed(1)}px, ${m.y.toFixed(1)}px)`;
      el.outline.hidden = m.kind !== "region";
      el.outline.style.width = `${m.w.toFixed(1)}px`;
      el.outline.style.height = `${m.h.toFixed(1)}px`;
      el.badge.textContent = String(m.number);
      el.badge.dataset.tip = `${m.author}: ${m.firstLine}`;
      el.badge.setAttribute("aria-label", `Review comment ${m.number} by ${m.author}: ${m.firstLine}`);
    }
    for (const [id, el] of this.marks) {
      if (seen.has(id)) continue;
      el.root.remove();
      this.marks.delete(id);
    }
  }

  private markEl(threadId: string): MarkEl {
    const root = document.createElement("div");
    root.className = "review-pin";
    root.dataset.testid = "review-pin-mark";
    root.dataset.thread = threadId;
    const outline = document.createElement("div");
    outline.className = "review-pin-region";
    const badge = document.createElement("button");
    badge.type = "button";
    badge.className = "review-pin-badge";
    badge.addEventListener("click", (e) => {
      e.stopPropagation();
      this.options.onOpen(threadId);
    });
    badge.addEventListener("pointerenter", () => this.showTip(badge));
    badge.addEventListener("pointerleave", () => (this.tip.hidden = true));
    root.append(outline, badge);
    this.root.appendChild(root);
    return { root, badge, outline, key: "" };
  }

  private showTip(badge: HTMLElement): void {
    const r = badge.getBoundingClientRect();
    const host = this.options.host.getBoundingClientRect();
    this.tip.textContent = badge.dataset.tip ?? "";
    this.tip.style.transform = `translate(${(r.right - host.left + 6).toFixed(0)}px, ${(r.top - host.top).toFixed(0)}px)`;
    this.tip.hidden = false;
  }

  /**
   * Waits for a click (`point`) or a drag (`region`) on the canvas and gives the pin it makes, or
   * null when cancelled (Esc, or another capture started). Clicks off every view are ignored.
   */
  capture(kind: "point" | "region", done: (pin: ReviewPin | null) => void): void {
    this.capturing?.cancel();
    const cover = document.createElement("div");
    cover.className = "review-pin-capture";
    cover.dataset.testid = "review-pin-capture";
    cover.dataset.kind = kind;
    const box = document.createElement("div");
    box.className = "review-pin-region drafting";
    box.hidden = true;
    cover.appendChild(box);
    this.root.appendChild(cover);
    let start: { x: number; y: number } | null = null;
    const at = (e: PointerEvent) => {
      const r = cover.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const finish = (pin: ReviewPin | null) => {
      end();
      done(pin);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      e.stopPropagation();
      finish(null);
    };
    const handle = { cancel: () => finish(null) };
    const end = () => {
      window.removeEventListener("keydown", onKey, true);
      cover.remove();
      if (this.capturing === handle) this.capturing = null;
    };
    cover.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      start = at(e);
      cover.setPointerCapture(e.pointerId);
    });
    cover.addEventListener("pointermove", (e) => {
      if (!start || kind !== "region") return;
      const p = at(e);
      const big = Math.abs(p.x - start.x) >= MIN_REGION_PX && Math.abs(p.y - start.y) >= MIN_REGION_PX;
      box.hidden = !big;
      box.style.transform = `translate(${Math.min(p.x, start.x)}px, ${Math.min(p.y, start.y)}px)`;
      box.style.width = `${Math.abs(p.x - start.x)}px`;
      box.style.height = `${Math.abs(p.y - start.y)}px`;
    });
    cover.addEventListener("pointerup", (e) => {
      if (!start) return;
      const a = start;
      start = null;
      box.hidden = true;
      const world = this.options.world();
      const pin = world ? pinFromGesture(world, kind, a, at(e)) : null;
      // Off the image, or a region too small to mean one: keep waiting (Esc leaves).
      if (pin) finish(pin);
    });
    window.addEventListener("keydown", onKey, true);
    this.capturing = handle;
  }

  /** Leaves capture mode without a pin. */
  cancelCapture(): void {
    this.capturing?.cancel();
  }

  get isCapturing(): boolean {
    return this.capturing !== null;
  }

  destroy(): void {
    cancelAnimationFrame(this.raf);
    this.capturing?.cancel();
    this.root.remove();
    this.marks.clear();
  }
}
