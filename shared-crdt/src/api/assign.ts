import { Type, type Static } from "@sinclair/typebox";

/**
 * Assignments (SPEC "Assignments (AS)"): which records a lead gave to which annotator and reviewer, and whether
 * the dataset's assignment is locked. Tessera's own state, never a Pixano column.
 */

/** Record ids one request may name (or a filter may resolve to): a bigger campaign is assigned in several steps. */
export const ASSIGN_IDS_MAX = 10_000;
/** People one request may split its records across. */
export const ASSIGN_PEOPLE_MAX = 100;
/** Longest record or person id in a request. */
export const ASSIGN_ID_LENGTH_MAX = 256;
/** Largest JSON body of an assignment request (10,000 ids of 64 characters fit with room). */
export const ASSIGN_BODY_MAX_BYTES = 1024 * 1024;

export const AssignRole = Type.Union([Type.Literal("annotator"), Type.Literal("reviewer")], { title: "AssignRole" });
export type AssignRole = Static<typeof AssignRole>;

export const AssignPerson = Type.Object({ id: Type.String(), name: Type.String() }, { title: "AssignPerson" });
export type AssignPerson = Static<typeof AssignPerson>;

const Id = Type.String({ minLength: 1, maxLength: ASSIGN_ID_LENGTH_MAX });
const FilterToken = Type.String({ maxLength: 1024 });

/** The explorer's query (the same grammar as `GET /datasets/{id}/records`): repeated `col:op:value` tokens and/or a where clause. */
export const AssignFilter = Type.Object(
  {
    filter: Type.Optional(Type.Array(FilterToken, { maxItems: 64 })),
    where: Type.Optional(Type.String({ maxLength: 4096 })),
    q: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { title: "AssignFilter", additionalProperties: false },
);
export type AssignFilter = Static<typeof AssignFilter>;

export const AssignRequest = Type.Object(
  {
    /** An explicit selection; exactly one of `record_ids` and `filter`. */
    record_ids: Type.Optional(Type.Array(Id, { maxItems: ASSIGN_IDS_MAX })),
    filter: Type.Optional(AssignFilter),
    /** Annotators (account ids) to split the records across; absent or empty leaves annotators as they are. */
    annotators: Type.Optional(Type.Array(Id, { maxItems: ASSIGN_PEOPLE_MAX })),
    /** Reviewers (account ids) to split the records across; absent or empty leaves reviewers as they are. */
    reviewers: Type.Optional(Type.Array(Id, { maxItems: ASSIGN_PEOPLE_MAX })),
    /**
     * `split_evenly` (default): consecutive blocks of as equal size as possible, in id order;
     * `round_robin`: the first record to the first person, the second to the second, and so on.
     */
    mode: Type.Optional(Type.Union([Type.Literal("split_evenly"), Type.Literal("round_robin")])),
  },
  { title: "AssignRequest", additionalProperties: false },
);
export type AssignRequest = Static<typeof AssignRequest>;

export const UnassignRequest = Type.Object(
  {
    record_ids: Type.Optional(Type.Array(Id, { maxItems: ASSIGN_IDS_MAX })),
    filter: Type.Optional(AssignFilter),
    /** Which side to clear; both when absent. */
    role: Type.Optional(AssignRole),
  },
  { title: "UnassignRequest", additionalProperties: false },
);
export type UnassignRequest = Static<typeof UnassignRequest>;

export const AssignLockUpdate = Type.Object(
  { locked: Type.Boolean() },
  { title: "AssignLockUpdate", additionalProperties: false },
);
export type AssignLockUpdate = Static<typeof AssignLockUpdate>;

/** One record's assignment (AS1). */
export const Assignment = Type.Object(
  {
    record_id: Type.String(),
    annotator: Type.Union([AssignPerson, Type.Null()]),
    reviewer: Type.Union([AssignPerson, Type.Null()]),
    /** Who made the latest change and when (the queue's order: oldest first). */
    assigned_by: AssignPerson,
    assigned_at: Type.String(),
  },
  { title: "Assignment" },
);
export type Assignment = Static<typeof Assignment>;

export const AssignLock = Type.Object(
  {
    locked: Type.Boolean(),
    by: Type.Union([AssignPerson, Type.Null()]),
    at: Type.Union([Type.String(), Type.Null()]),
  },
  { title: "AssignLock" },
);
export type AssignLock = Static<typeof AssignLock>;

export const AssignmentList = Type.Object(
  { items: Type.Array(Assignment), total: Type.Integer(), lock: AssignLock },
  { title: "AssignmentList" },
);
export type AssignmentList = Static<typeof AssignmentList>;

/** What an assign or unassign request changed. */
export const AssignResult = Type.Object(
  {
    changed: Type.Integer(),
    /** Records per person given by this request. */
    per_person: Type.Array(Type.Object({ person: AssignPerson, role: AssignRole, count: Type.Integer() })),
  },
  { title: "AssignResult" },
);
export type AssignResult = Static<typeof AssignResult>;

/** `GET …/next-for-me`: the next record of mine not finished for my side, or null (AS5). */
export const NextForMe = Type.Object(
  {
    item: Type.Union([
      Type.Object({
        record_id: Type.String(),
        role: AssignRole,
        status: Type.String(),
        rejected: Type.Boolean(),
        assigned_at: Type.String(),
      }),
      Type.Null(),
    ]),
    /** Unfinished records of mine, this one included. */
    remaining: Type.Integer(),
  },
  { title: "NextForMe" },
);
export type NextForMe = Static<typeof NextForMe>;

export const PersonProgress = Type.Object(
  {
    person: AssignPerson,
    role: AssignRole,
    assigned: Type.Integer(),
    /** Annotator: submitted or validated; reviewer: validated. */
    done: Type.Integer(),
    in_review: Type.Integer(),
    rejected: Type.Integer(),
  },
  { title: "PersonProgress" },
);
export type PersonProgress = Static<typeof PersonProgress>;

export const AssignProgress = Type.Object(
  { people: Type.Array(PersonProgress), unassigned: Type.Integer(), total: Type.Integer() },
  { title: "AssignProgress" },
);
export type AssignProgress = Static<typeof AssignProgress>;

/** Someone who may take assignments on a dataset (role on it at least annotator). */
export const AssignCandidate = Type.Object(
  { id: Type.String(), name: Type.String(), role: Type.String() },
  { title: "AssignCandidate" },
);
export type AssignCandidate = Static<typeof AssignCandidate>;
