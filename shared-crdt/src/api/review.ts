import { Type, type Static } from "@sinclair/typebox";

/**
 * Review threads and workflow stamps (SPEC "Review threads (RV)"): Tessera's own state, never a Pixano column.
 * A thread is a reviewer's (or anyone's) remark on one record, optionally pinned to an object or a point/region
 * of a view, answered with replies and resolved by a reviewer. A stamp says who last submitted and who last
 * reviewed a record (and whether that review was a rejection), kept from the workflow actions.
 */

/** Longest text of a thread's opening message or of a reply (the same bound as a rejection's comment). */
export const REVIEW_TEXT_MAX = 4000;
/** Threads one record may hold, resolved ones included (RV3). */
export const REVIEW_THREADS_PER_RECORD_MAX = 200;
/** Replies one thread may hold (RV3). */
export const REVIEW_REPLIES_PER_THREAD_MAX = 200;
/** Longest id in a pin (an entity, annotation or view id). */
export const REVIEW_PIN_ID_MAX = 256;

const Id = Type.String({ minLength: 1, maxLength: REVIEW_PIN_ID_MAX });
/** A coordinate relative to the view, 0 … 1 (Pixano's normalized coordinates). */
const Unit = Type.Number({ minimum: 0, maximum: 1 });

/**
 * Where a thread points: an object (entity and/or annotation), a point (`x`, `y`) or a region (`x`, `y`, `w`, `h`)
 * of a view, normalized to the view; `frame_index` for a video frame. Everything optional; a point needs both
 * coordinates and a region all four (checked by the server, RV2).
 */
export const ReviewPin = Type.Object(
  {
    entity_id: Type.Optional(Id),
    annotation_id: Type.Optional(Id),
    view_name: Type.Optional(Id),
    frame_index: Type.Optional(Type.Integer({ minimum: 0 })),
    x: Type.Optional(Unit),
    y: Type.Optional(Unit),
    w: Type.Optional(Unit),
    h: Type.Optional(Unit),
  },
  { title: "ReviewPin", additionalProperties: false },
);
export type ReviewPin = Static<typeof ReviewPin>;

const Text = Type.String({ minLength: 1, maxLength: REVIEW_TEXT_MAX });

export const ReviewThreadCreate = Type.Object(
  { text: Text, pin: Type.Optional(ReviewPin) },
  { title: "ReviewThreadCreate", additionalProperties: false },
);
export type ReviewThreadCreate = Static<typeof ReviewThreadCreate>;

export const ReviewReplyCreate = Type.Object(
  { text: Text },
  { title: "ReviewReplyCreate", additionalProperties: false },
);
export type ReviewReplyCreate = Static<typeof ReviewReplyCreate>;

export const ReviewThreadUpdate = Type.Object(
  { resolved: Type.Boolean() },
  { title: "ReviewThreadUpdate", additionalProperties: false },
);
export type ReviewThreadUpdate = Static<typeof ReviewThreadUpdate>;

/** Who wrote or did something: the account id and the name shown. */
export const ReviewPerson = Type.Object({ id: Type.String(), name: Type.String() }, { title: "ReviewPerson" });
export type ReviewPerson = Static<typeof ReviewPerson>;

export const ReviewMessage = Type.Object(
  { id: Type.String(), author: ReviewPerson, at: Type.String(), text: Type.String() },
  { title: "ReviewMessage" },
);
export type ReviewMessage = Static<typeof ReviewMessage>;

export const ReviewThread = Type.Object(
  {
    id: Type.String(),
    dataset_id: Type.String(),
    record_id: Type.String(),
    /** `reject`: opened by a rejection (its comment is the first message); `comment`: opened directly. */
    origin: Type.Union([Type.Literal("comment"), Type.Literal("reject")]),
    pin: Type.Union([ReviewPin, Type.Null()]),
    author: ReviewPerson,
    created_at: Type.String(),
    resolved: Type.Boolean(),
    resolved_by: Type.Union([ReviewPerson, Type.Null()]),
    resolved_at: Type.Union([Type.String(), Type.Null()]),
    /** The opening message first, then the replies, oldest first. */
    messages: Type.Array(ReviewMessage),
  },
  { title: "ReviewThread" },
);
export type ReviewThread = Static<typeof ReviewThread>;

/** Who last submitted and who last reviewed a record; `rejected` until it is submitted again (RV6). */
export const ReviewStamp = Type.Object(
  {
    record_id: Type.String(),
    submitted_by: Type.Union([ReviewPerson, Type.Null()]),
    submitted_at: Type.Union([Type.String(), Type.Null()]),
    reviewed_by: Type.Union([ReviewPerson, Type.Null()]),
    reviewed_at: Type.Union([Type.String(), Type.Null()]),
    verdict: Type.Union([Type.Literal("approved"), Type.Literal("rejected"), Type.Null()]),
    rejected: Type.Boolean(),
    open_threads: Type.Integer(),
  },
  { title: "ReviewStamp" },
);
export type ReviewStamp = Static<typeof ReviewStamp>;

/** One record waiting for review: oldest submission first (RV7). */
export const ReviewQueueItem = Type.Object(
  {
    record_id: Type.String(),
    submitted_by: Type.Union([ReviewPerson, Type.Null()]),
    /** When it entered review (the last submit; the record's `updated_at` when Tessera did not see it). */
    waiting_since: Type.String(),
  },
  { title: "ReviewQueueItem" },
);
export type ReviewQueueItem = Static<typeof ReviewQueueItem>;

export const ReviewQueue = Type.Object(
  { items: Type.Array(ReviewQueueItem), total: Type.Integer() },
  { title: "ReviewQueue" },
);
export type ReviewQueue = Static<typeof ReviewQueue>;
