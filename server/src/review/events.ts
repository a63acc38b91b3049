import type { WorkflowAction } from "@tessera/shared-crdt";
import type { ReviewMessage, ReviewPerson, ReviewPin, ReviewThread } from "@tessera/shared-crdt/api";

/** The lines of a dataset's review log (`.tessera/review/<dataset>.jsonl`), one event each. */
export type ReviewEvent =
  | {
      readonly t: "open";
      readonly thread: Pick<ReviewThread, "id" | "record_id" | "origin" | "pin" | "author" | "created_at">;
      readonly message: ReviewMessage;
    }
  | { readonly t: "reply"; readonly record_id: string; readonly thread_id: string; readonly message: ReviewMessage }
  | {
      readonly t: "resolve";
      readonly record_id: string;
      readonly thread_id: string;
      readonly resolved: boolean;
      readonly by: ReviewPerson;
      readonly at: string;
    }
  | StampEvent;

export interface StampEvent {
  readonly t: "stamp";
  readonly record_id: string;
  readonly action: WorkflowAction;
  readonly from: string;
  readonly to: string;
  readonly by: ReviewPerson;
  readonly at: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const ACTIONS: readonly string[] = ["edit", "submit", "approve", "reject", "reopen", "set"];

function person(v: unknown): ReviewPerson | null {
  return isObj(v) && isStr(v.id) && isStr(v.name) ? { id: v.id, name: v.name } : null;
}

function message(v: unknown): ReviewMessage | null {
  if (!isObj(v) || !isStr(v.id) || !isStr(v.at) || !isStr(v.text)) return null;
  const author = person(v.author);
  return author ? { id: v.id, at: v.at, text: v.text, author } : null;
}

function pin(v: unknown): ReviewPin | null | undefined {
  if (v === null) return null;
  if (!isObj(v)) return undefined;
  const out: Record<string, string | number> = {};
  for (const k of ["entity_id", "annotation_id", "view_name"] as const) if (isStr(v[k])) out[k] = v[k];
  for (const k of ["frame_index", "x", "y", "w", "h"] as const) if (typeof v[k] === "number") out[k] = v[k];
  return out as ReviewPin;
}

/** One parsed line, or null when it is not an event this version wrote. */
export function parseReviewEvent(v: unknown): ReviewEvent | null {
  if (!isObj(v)) return null;
  switch (v.t) {
    case "open": {
      const t = v.thread;
      const m = message(v.message);
      if (!isObj(t) || !m || !isStr(t.id) || !isStr(t.record_id) || !isStr(t.created_at)) return null;
      const author = person(t.author);
      const p = pin(t.pin);
      if (!author || p === undefined || (t.origin !== "comment" && t.origin !== "reject")) return null;
      return {
        t: "open",
        thread: { id: t.id, record_id: t.record_id, origin: t.origin, pin: p, author, created_at: t.created_at },
        message: m,
      };
    }
    case "reply": {
      const m = message(v.message);
      if (!m || !isStr(v.record_id) || !isStr(v.thread_id)) return null;
      return { t: "reply", record_id: v.record_id, thread_id: v.thread_id, message: m };
    }
    case "resolve": {
      const by = person(v.by);
      if (!by || !isStr(v.record_id) || !isStr(v.thread_id) || typeof v.resolved !== "boolean" || !isStr(v.at))
        return null;
      return { t: "resolve", record_id: v.record_id, thread_id: v.thread_id, resolved: v.resolved, by, at: v.at };
    }
    case "stamp": {
      const by = person(v.by);
      if (!by || !isStr(v.record_id) || !isStr(v.from) || !isStr(v.to) || !isStr(v.at)) return null;
      if (!isStr(v.action) || !ACTIONS.includes(v.action)) return null;
      return {
        t: "stamp",
        record_id: v.record_id,
        action: v.action as WorkflowAction,
        from: v.from,
        to: v.to,
        by,
        at: v.at,
      };
    }
    default:
      return null;
  }
}
