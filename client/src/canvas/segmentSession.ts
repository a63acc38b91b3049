import type { FrameRef } from "@tessera/shared-crdt";
import type { Effect, ShapeRef } from "../tools/types.js";

/**
 * The canvas side of click-to-segment: sends each prompt of the segment tool to the server, which
 * writes the mask into the record document as a draft (a model proposal everyone sees), and keeps
 * the current draft's id so the next prompt refines it in place. Requests run one after another, so
 * a quick second click refines the draft the first one created instead of starting another.
 */
export type SegmentPrompt = Extract<Effect, { type: "segment" }> & {
  /** Frame mode (video): the frame shown on the prompt's tile, and the track the draft joins. */
  readonly onFrame?: SegmentFrame | null;
};

/** Where a draft on a video frame goes: a mask keyframe on `frame`, of `trackletId` or of a new track. */
export interface SegmentFrame {
  readonly frame: FrameRef;
  /** The view a new track's tracklet takes (the tile's view). */
  readonly trackViewId: string;
  /** The selected track; null: the draft makes a new track. */
  readonly trackletId: string | null;
}

/** How the canvas reaches the server (the workspace binds it to the dataset and the model). */
export interface SegmentBackend {
  /**
   * Writes a new draft (`draftId` null) or refines one; resolves with the mask's id and, when the
   * draft made a new track on a video frame, that track's id (a discard removes it too).
   */
  draft(
    prompt: SegmentPrompt,
    draftId: string | null,
  ): Promise<{ readonly maskId: string; readonly newTrack?: string }>;
}

export interface SegmentHooks {
  select(ref: ShapeRef): void;
  accept(ref: ShapeRef): void;
  /** Removes the draft; `newTrack`: the track the draft made (deleted with it). */
  discard(ref: ShapeRef, newTrack: string | null): void;
  refused(reason: string): void;
}

/** What a draft is drawn on: the tile, and on a video the frame (another frame starts another draft). */
function placeOf(p: SegmentPrompt): string {
  return p.onFrame ? `${p.viewId}\u0000${p.onFrame.frame.index}` : p.viewId;
}

export class SegmentSession {
  private current: { readonly place: string; readonly maskId: string; readonly newTrack: string | null } | null = null;
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
      const place = placeOf(p);
      const same = this.current?.place === place ? this.current : null;
      try {
        const r = await backend.draft(p, same?.maskId ?? null);
        const ref: ShapeRef = { table: "masks", id: r.maskId };
        this.current = { place, maskId: r.maskId, newTrack: same ? same.newTrack : (r.newTrack ?? null) };
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
      else this.hooks.discard(ref, d.newTrack);
    });
  }
}
