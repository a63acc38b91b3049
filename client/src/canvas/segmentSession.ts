import type { Effect, ShapeRef } from "../tools/types.js";

/**
 * The canvas side of click-to-segment: sends each prompt of the segment tool to the server, which
 * writes the mask into the record document as a draft (a model proposal everyone sees), and keeps
 * the current draft's id so the next prompt refines it in place. Requests run one after another, so
 * a quick second click refines the draft the first one created instead of starting another.
 */
export type SegmentPrompt = Extract<Effect, { type: "segment" }>;

/** How the canvas reaches the server (the workspace binds it to the dataset and the model). */
export interface SegmentBackend {
  /** Writes a new draft (`draftId` null) or refines one; resolves with the mask's and its entity's ids. */
  draft(prompt: SegmentPrompt, draftId: string | null): Promise<{ readonly maskId: string }>;
}

export interface SegmentHooks {
  select(ref: ShapeRef): void;
  accept(ref: ShapeRef): void;
  discard(ref: ShapeRef): void;
  refused(reason: string): void;
}

export class SegmentSession {
  private current: { readonly viewId: string; readonly maskId: string } | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: SegmentBackend | undefined,
    private readonly hooks: SegmentHooks,
  ) {}

  prompt(p: SegmentPrompt): void {
    this.queue = this.queue.then(async () => {
      const backend = this.backend;
      if (!backend) {
        this.hooks.refused("segmentation is not available here");
        return;
      }
      const draftId = this.current?.viewId === p.viewId ? this.current.maskId : null;
      try {
        const r = await backend.draft(p, draftId);
        const ref: ShapeRef = { table: "masks", id: r.maskId };
        this.current = { viewId: p.viewId, maskId: r.maskId };
        this.hooks.select(ref);
      } catch (err) {
        // Said to the user (a toast): the model is missing, the queue is full, the draft was accepted meanwhile…
        this.hooks.refused(err instanceof Error ? err.message : String(err));
      }
    });
  }

  done(decision: "accept" | "discard"): void {
    this.queue = this.queue.then(() => {
      const d = this.current;
      this.current = null;
      if (!d) return;
      const ref: ShapeRef = { table: "masks", id: d.maskId };
      if (decision === "accept") this.hooks.accept(ref);
      else this.hooks.discard(ref);
    });
  }
}
