import type { DatasetSchema } from "@tessera/shared-crdt";
import type { RecordDocsPort, RestIdentity } from "../../http/recordDocs.js";
import { JobPacing } from "../jobPacing.js";
import { writeTrackedFrames, type BatchOutcome, type TrackedFrame, type WriteOutcome } from "./keyframes.js";

/**
 * The frames a tracking run tracked and has not written yet. A run tracks ahead of its writes and
 * writes them together when {@link due} (every `everyMs`, or once `maxFrames` wait): each write
 * costs the editors' event loop a check, a relay and a log append, whatever its size, so one per
 * batch instead of one per frame — in one record-document transaction when nobody edits, in
 * slices of {@link ACTIVE_SLICE_FRAMES} paced by the job's {@link JobPacing} while people do. The
 * stop rules stay per frame (`writeTrackedFrames`), and a cancel is checked inside each
 * transaction: once it is answered, nothing more is written.
 */
export interface FrameBatchOptions {
  readonly docs: RecordDocsPort;
  readonly datasetId: string;
  readonly recordId: string;
  readonly schema: DatasetSchema;
  readonly who: RestIdentity;
  readonly run: { readonly trackletId: string; readonly model: string; readonly jobId: string };
  readonly everyMs: number;
  readonly maxFrames: number;
  /** Whether the run was cancelled (read inside the writing transaction). */
  readonly cancelled: () => boolean;
  /** The run's pacing while people edit (default: a {@link JobPacing} of its own). */
  readonly pacing?: JobPacing;
}

/**
 * What a write did: the frames written (in order), and why it stopped short, if it did — a stop
 * rule met on the next frame (`at`: that frame), or a cancel answered between two slices (the
 * frames of the earlier slices are written).
 */
export interface BatchWrite {
  readonly frames: readonly TrackedFrame[];
  readonly stop: Exclude<WriteOutcome, "written"> | "cancelled" | null;
  /** The frame a stop rule was met on (`keyframe`, `track_gone`), else -1. */
  readonly at: number;
}

/** Frames per transaction while people edit: each slice holds the event loop ≈ 1–2 ms, not a whole batch's 5–10 ms. */
const ACTIVE_SLICE_FRAMES = 2;

export class FrameBatch {
  private pending: TrackedFrame[] = [];
  private writtenAt = performance.now();
  private readonly pacing: JobPacing;

  constructor(private readonly options: FrameBatchOptions) {
    this.pacing = options.pacing ?? new JobPacing();
  }

  /** Frames waiting. */
  get size(): number {
    return this.pending.length;
  }

  add(frame: TrackedFrame): void {
    this.pending.push(frame);
  }

  /** Whether the waiting frames should be written now. */
  due(): boolean {
    return (
      this.pending.length > 0 &&
      (this.pending.length >= this.options.maxFrames || performance.now() - this.writtenAt >= this.options.everyMs)
    );
  }

  /** Forgets the waiting frames (a cancel: they are never written). */
  drop(): void {
    this.pending = [];
  }

  /**
   * Writes the waiting frames (durable, folded on the room's schedule): in one transaction when
   * nobody edits; while people edit, in slices of {@link ACTIVE_SLICE_FRAMES}, each after the
   * job's pacing (a rest proportional to the previous slice, then queued editors' frames first),
   * so an editor's frame waits behind a slice at most.
   */
  async write(): Promise<BatchWrite> {
    const batch = this.pending;
    this.pending = [];
    this.writtenAt = performance.now();
    const written: TrackedFrame[] = [];
    const size = this.pacing.editorsActive() ? ACTIVE_SLICE_FRAMES : batch.length;
    for (let i = 0; i < batch.length; i += size) {
      await this.pacing.beforeWrite();
      const slice = batch.slice(i, i + size);
      const r = await this.pacing.write(() => this.writeSlice(slice));
      if (r === null) return { frames: written, stop: "cancelled", at: -1 };
      written.push(...slice.slice(0, r.written));
      if (r.stop) return { frames: written, stop: r.stop, at: r.at };
    }
    return { frames: written, stop: null, at: -1 };
  }

  /** One transaction; null when the run was cancelled (checked inside it: nothing written). */
  private async writeSlice(slice: readonly TrackedFrame[]): Promise<BatchOutcome | null> {
    const o = this.options;
    let out: BatchOutcome | null = null;
    await o.docs.edit(
      o.datasetId,
      o.recordId,
      o.who,
      (doc) => {
        if (o.cancelled()) return;
        out = writeTrackedFrames(doc, o.schema, o.recordId, o.who.id, o.run, slice);
      },
      // Durable is enough: a fold per batch would cost a LanceDB write each time and slow the
      // editors' confirmations; the room folds the run's frames on its usual schedule.
      { fold: false },
    );
    return out;
  }
}
