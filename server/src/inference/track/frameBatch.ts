import type { DatasetSchema } from "@tessera/shared-crdt";
import type { RecordDocsPort, RestIdentity } from "../../http/recordDocs.js";
import { writeTrackedFrames, type TrackedFrame, type WriteOutcome } from "./keyframes.js";

/**
 * The frames a tracking run tracked and has not written yet. A run tracks ahead of its writes and
 * writes them together, in one record-document transaction, when {@link due} (every `everyMs`,
 * or once `maxFrames` wait): each write costs the editors' event loop a copy of the document, a
 * check and a log append, whatever its size, so one per batch instead of one per frame. The
 * stop rules stay per frame (`writeTrackedFrames`), and a cancel is checked inside the
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
}

/** What a write did: the frames written (in order), and the stop rule met on the next one, if any. */
export type BatchWrite =
  | { readonly kind: "cancelled" }
  | {
      readonly kind: "written";
      readonly frames: readonly TrackedFrame[];
      readonly stop: Exclude<WriteOutcome, "written"> | null;
      /** The frame the stop rule was met on (`stop` set), else -1. */
      readonly at: number;
    };

export class FrameBatch {
  private pending: TrackedFrame[] = [];
  private writtenAt = performance.now();

  constructor(private readonly options: FrameBatchOptions) {}

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

  /** Writes the waiting frames in one transaction (durable, folded on the room's schedule). */
  async write(): Promise<BatchWrite> {
    const batch = this.pending;
    this.pending = [];
    this.writtenAt = performance.now();
    if (batch.length === 0) return { kind: "written", frames: [], stop: null, at: -1 };
    const o = this.options;
    let out: BatchWrite = { kind: "cancelled" };
    await o.docs.edit(
      o.datasetId,
      o.recordId,
      o.who,
      (doc) => {
        if (o.cancelled()) return;
        const r = writeTrackedFrames(doc, o.schema, o.recordId, o.who.id, o.run, batch);
        out = { kind: "written", frames: batch.slice(0, r.written), stop: r.stop, at: r.at };
      },
      // Durable is enough: a fold per batch would cost a LanceDB write each time and slow the
      // editors' confirmations; the room folds the run's frames on its usual schedule.
      { fold: false },
    );
    return out;
  }
}
