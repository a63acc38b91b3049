import path from "node:path";
import { randomId, type ReviewThreadChange, type StatusChange } from "@tessera/shared-crdt";
import {
  REVIEW_REPLIES_PER_THREAD_MAX,
  REVIEW_THREADS_PER_RECORD_MAX,
  type ReviewMessage,
  type ReviewPerson,
  type ReviewPin,
  type ReviewStamp,
  type ReviewThread,
} from "@tessera/shared-crdt/api";
import { systemClock, type Clock } from "../sync/clock.js";
import { DatasetLogs, type LoggedState } from "./datasetLogs.js";
import { parseReviewEvent, type ReviewEvent, type StampEvent } from "./events.js";
import { ReviewError } from "./ReviewError.js";

export interface ThreadEvent {
  readonly datasetId: string;
  readonly thread: ReviewThread;
  readonly change: ReviewThreadChange;
  readonly by: ReviewPerson;
  /** The message this change added (opened, replied). */
  readonly message: ReviewMessage | null;
}

export interface ReviewLimits {
  readonly threadsPerRecord: number;
  readonly repliesPerThread: number;
}

interface ReviewState {
  readonly threads: Map<string, ReviewThread>;
  readonly byRecord: Map<string, string[]>;
  readonly stamps: Map<string, Omit<ReviewStamp, "open_threads">>;
}
type DatasetState = ReviewState & LoggedState<ReviewEvent>;

/**
 * Review threads and workflow stamps (SPEC RV1–RV8), per dataset, in `DATA_DIR/.tessera/review/<dataset>.jsonl`:
 * an append-only log of events, each fsynced before the change is acknowledged or shown to anyone, replayed at
 * the first use after a start. Mutations of one dataset run one at a time, so limits are checked against the
 * state they apply to.
 */
export class ReviewStore {
  private readonly logs: DatasetLogs<ReviewEvent, ReviewState>;
  private readonly listeners = new Set<(e: ThreadEvent) => void>();
  private readonly limits: ReviewLimits;

  constructor(
    dir: string,
    private readonly options: { clock?: Clock; limits?: Partial<ReviewLimits>; shared?: boolean } = {},
  ) {
    this.logs = new DatasetLogs(
      dir,
      () => ({ threads: new Map(), byRecord: new Map(), stamps: new Map() }),
      parseReviewEvent,
      (datasetId, state, e) => void apply(datasetId, state, e),
      { shared: options.shared ?? false },
    );
    this.limits = {
      threadsPerRecord: options.limits?.threadsPerRecord ?? REVIEW_THREADS_PER_RECORD_MAX,
      repliesPerThread: options.limits?.repliesPerThread ?? REVIEW_REPLIES_PER_THREAD_MAX,
    };
  }

  /** `DATA_DIR/.tessera/review`. */
  static in(
    dataDir: string,
    options: { clock?: Clock; limits?: Partial<ReviewLimits>; shared?: boolean } = {},
  ): ReviewStore {
    return new ReviewStore(path.join(dataDir, ".tessera", "review"), options);
  }

  onThread(fn: (e: ThreadEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private now(): string {
    return new Date((this.options.clock ?? systemClock).now()).toISOString();
  }

  private load(datasetId: string): Promise<DatasetState> {
    return this.logs.load(datasetId);
  }

  private serial<T>(datasetId: string, fn: (s: DatasetState) => Promise<T>): Promise<T> {
    return this.logs.serial(datasetId, fn);
  }

  /** Resolves once every change of the dataset asked for so far is on disk (or refused). */
  async settled(datasetId: string): Promise<void> {
    await this.logs.settled(datasetId);
  }

  /** A record's threads, oldest first. */
  async list(datasetId: string, recordId: string): Promise<ReviewThread[]> {
    const s = await this.load(datasetId);
    return (s.byRecord.get(recordId) ?? []).map((id) => s.threads.get(id)).filter((t) => t !== undefined);
  }

  /** Refuses (409) when the record cannot take one more thread; a rejection checks it before it changes anything. */
  async checkCanOpen(datasetId: string, recordId: string): Promise<void> {
    const s = await this.load(datasetId);
    this.assertRoom(s, recordId);
  }

  private assertRoom(s: DatasetState, recordId: string): void {
    const n = s.byRecord.get(recordId)?.length ?? 0;
    if (n >= this.limits.threadsPerRecord)
      throw new ReviewError(
        "too_many",
        `This record already has ${n} review threads (the limit is ${this.limits.threadsPerRecord}): answer or reuse one.`,
      );
  }

  async open(
    datasetId: string,
    recordId: string,
    author: ReviewPerson,
    text: string,
    options: { pin?: ReviewPin | null; origin?: ReviewThread["origin"] } = {},
  ): Promise<ReviewThread> {
    const pin = options.pin ?? null;
    if (pin) checkPin(pin);
    return this.serial(datasetId, async (s) => {
      this.assertRoom(s, recordId);
      const at = this.now();
      const message: ReviewMessage = { id: randomId(), author, at, text };
      const event: ReviewEvent = {
        t: "open",
        thread: {
          id: randomId(),
          record_id: recordId,
          origin: options.origin ?? "comment",
          pin,
          author,
          created_at: at,
        },
        message,
      };
      await s.log.append([event]);
      const thread = apply(datasetId, s, event);
      if (!thread) throw new Error("review: an opened thread was not applied");
      this.emit({ datasetId, thread, change: "opened", by: author, message });
      return thread;
    });
  }

  async reply(
    datasetId: string,
    recordId: string,
    threadId: string,
    author: ReviewPerson,
    text: string,
  ): Promise<ReviewThread> {
    return this.serial(datasetId, async (s) => {
      const current = threadOf(s, recordId, threadId);
      const replies = current.messages.length - 1;
      if (replies >= this.limits.repliesPerThread)
        throw new ReviewError(
          "too_many",
          `This thread already has ${replies} replies (the limit is ${this.limits.repliesPerThread}): open a new thread.`,
        );
      const message: ReviewMessage = { id: randomId(), author, at: this.now(), text };
      const event: ReviewEvent = { t: "reply", record_id: recordId, thread_id: threadId, message };
      await s.log.append([event]);
      const thread = apply(datasetId, s, event) ?? current;
      this.emit({ datasetId, thread, change: "replied", by: author, message });
      return thread;
    });
  }

  /** Resolves or reopens a thread; the same value again changes nothing and writes nothing. */
  async setResolved(
    datasetId: string,
    recordId: string,
    threadId: string,
    by: ReviewPerson,
    resolved: boolean,
  ): Promise<ReviewThread> {
    return this.serial(datasetId, async (s) => {
      const current = threadOf(s, recordId, threadId);
      if (current.resolved === resolved) return current;
      const event: ReviewEvent = {
        t: "resolve",
        record_id: recordId,
        thread_id: threadId,
        resolved,
        by,
        at: this.now(),
      };
      await s.log.append([event]);
      const thread = apply(datasetId, s, event) ?? current;
      this.emit({ datasetId, thread, change: resolved ? "resolved" : "reopened", by, message: null });
      return thread;
    });
  }

  /**
   * Keeps who submitted and who reviewed from a status change (RV6). Queued like every change; callers that answer
   * after it await {@link settled}. A failure is reported to `onError`: the status change itself already happened.
   */
  recordStatus(change: StatusChange, onError: (err: unknown) => void): void {
    if (change.action === "edit") return;
    const event: StampEvent = {
      t: "stamp",
      record_id: change.recordId,
      action: change.action,
      from: change.from,
      to: change.to,
      by: { id: change.by.id, name: change.by.name },
      at: change.at,
    };
    this.serial(change.datasetId, async (s) => {
      await s.log.append([event]);
      apply(change.datasetId, s, event);
    }).catch(onError);
  }

  /** Every stamp of a dataset (records Tessera saw a workflow action or a thread on). */
  async stamps(datasetId: string): Promise<ReviewStamp[]> {
    const s = await this.load(datasetId);
    const ids = new Set([...s.stamps.keys(), ...s.byRecord.keys()]);
    return [...ids].sort().map((id) => stampOf(s, id));
  }

  async stamp(datasetId: string, recordId: string): Promise<ReviewStamp> {
    return stampOf(await this.load(datasetId), recordId);
  }

  private emit(e: ThreadEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}

function stampOf(s: DatasetState, recordId: string): ReviewStamp {
  const open = (s.byRecord.get(recordId) ?? []).filter((id) => s.threads.get(id)?.resolved === false).length;
  return {
    ...(s.stamps.get(recordId) ?? emptyStamp(recordId)),
    open_threads: open,
  };
}

function emptyStamp(recordId: string): Omit<ReviewStamp, "open_threads"> {
  return {
    record_id: recordId,
    submitted_by: null,
    submitted_at: null,
    reviewed_by: null,
    reviewed_at: null,
    verdict: null,
    rejected: false,
  };
}

function threadOf(s: DatasetState, recordId: string, threadId: string): ReviewThread {
  const t = s.threads.get(threadId);
  if (!t || t.record_id !== recordId)
    throw new ReviewError("not_found", `Review thread '${threadId}' not found on record '${recordId}'.`);
  return t;
}

/** RV2: a point has both coordinates, a region all four; a size without a place means nothing. */
export function checkPin(pin: ReviewPin): void {
  const has = (k: "x" | "y" | "w" | "h") => pin[k] !== undefined;
  if (has("x") !== has("y")) throw new ReviewError("bad_pin", "A pinned point needs both x and y.");
  if (has("w") !== has("h")) throw new ReviewError("bad_pin", "A pinned region needs both w and h.");
  if (has("w") && !has("x")) throw new ReviewError("bad_pin", "A pinned region needs x and y (its top-left corner).");
}

/** Applies one event to the in-memory state; the thread it changed, if any. */
function apply(datasetId: string, s: DatasetState, e: ReviewEvent): ReviewThread | null {
  switch (e.t) {
    case "open": {
      const thread: ReviewThread = {
        ...e.thread,
        dataset_id: datasetId,
        resolved: false,
        resolved_by: null,
        resolved_at: null,
        messages: [e.message],
      };
      s.threads.set(thread.id, thread);
      const list = s.byRecord.get(thread.record_id) ?? [];
      list.push(thread.id);
      s.byRecord.set(thread.record_id, list);
      return thread;
    }
    case "reply": {
      const t = s.threads.get(e.thread_id);
      if (!t) return null;
      const next = { ...t, messages: [...t.messages, e.message] };
      s.threads.set(t.id, next);
      return next;
    }
    case "resolve": {
      const t = s.threads.get(e.thread_id);
      if (!t) return null;
      const next: ReviewThread = e.resolved
        ? { ...t, resolved: true, resolved_by: e.by, resolved_at: e.at }
        : { ...t, resolved: false, resolved_by: null, resolved_at: null };
      s.threads.set(t.id, next);
      return next;
    }
    case "stamp": {
      s.stamps.set(e.record_id, nextStamp(s.stamps.get(e.record_id) ?? emptyStamp(e.record_id), e));
      return null;
    }
  }
}

/** RV6: submit stamps the submitter; approve and reject the reviewer; `rejected` lasts until the next action. */
function nextStamp(prev: Omit<ReviewStamp, "open_threads">, e: StampEvent): Omit<ReviewStamp, "open_threads"> {
  const submitted = { ...prev, submitted_by: e.by, submitted_at: e.at, rejected: false };
  const reviewed = (verdict: "approved" | "rejected") => ({
    ...prev,
    reviewed_by: e.by,
    reviewed_at: e.at,
    verdict,
    rejected: verdict === "rejected",
  });
  switch (e.action) {
    case "submit":
      return submitted;
    case "approve":
      return reviewed("approved");
    case "reject":
      return reviewed("rejected");
    case "reopen":
    case "edit":
      return { ...prev, rejected: false };
    case "set":
      if (e.to === "inReview") return submitted;
      if (e.to === "validated") return reviewed("approved");
      return { ...prev, rejected: false };
  }
}
