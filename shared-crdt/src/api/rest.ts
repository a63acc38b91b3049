import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { WORKFLOW_ACTIONS } from "../doc/workflow.js";
import { MAX_QUERY_TEXT_LENGTH } from "../query/filter.js";
import { ReviewPin } from "./review.js";

/**
 * The REST contract's schemas, declared once. They ARE JSON Schema (the server's `/openapi.json`
 * embeds them), the server's router validates requests against them before a handler runs, and
 * the web client's types are their `Static<>` — the three cannot drift apart. Pure: no Node
 * built-ins, importable by the browser.
 *
 * Pixano's own resources (records, annotations, views) are described by shared-crdt's table
 * definitions instead (`TABLES`); what Pixano 0.8 accepts there (lax scalars, unknown fields) is
 * checked by the table rules, not here.
 */

/** `limit` of every paginated listing (Pixano's `PaginatedResponse`: [1, 1000], default 100). */
export const LIMIT_MAX = 1000;

/** A free-text search (`q`) over comment and custom string columns (the query module's limit). */
export const SEARCH_TEXT_MAX = MAX_QUERY_TEXT_LENGTH;

/** The comment of a workflow action (a rejection's reason). */
export const WORKFLOW_COMMENT_MAX = 4000;

/** The name of an API token. */
export const TOKEN_NAME_MAX = 100;

/** The lifetime of an API token, in days. */
export const TOKEN_DAYS_MAX = 3650;

/** Longest password accepted: longer inputs are someone testing the parser, not a person. */
export const PASSWORD_MAX = 1024;

/** Longest display name a request may send (the user store's own rule, 64 characters once trimmed, follows). */
export const DISPLAY_NAME_MAX = 256;

/** Longest username a login may send (an account's own rules are the user store's). */
export const LOGIN_USERNAME_MAX = 256;

export const WorkflowRequest = Type.Object(
  {
    action: Type.Union(
      WORKFLOW_ACTIONS.map((a) => Type.Literal(a)),
      { description: "edit = start, submit, approve, reject (with a comment), reopen" },
    ),
    comment: Type.Optional(Type.String({ maxLength: WORKFLOW_COMMENT_MAX })),
    /** Tessera: where a rejection's review thread points (SPEC RV5); ignored by other actions. */
    pin: Type.Optional(ReviewPin),
  },
  { title: "WorkflowRequest" },
);
export type WorkflowRequest = Static<typeof WorkflowRequest>;

export const TokenCreateRequest = Type.Object(
  {
    name: Type.String({ maxLength: TOKEN_NAME_MAX }),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: TOKEN_DAYS_MAX })),
  },
  { title: "TokenCreateRequest" },
);
export type TokenCreateRequest = Static<typeof TokenCreateRequest>;

/** `{items, total, limit, offset}` of `item`. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
}
export type Page<T> = { readonly items: T[]; readonly total: number; readonly limit: number; readonly offset: number };

export const PreviewDescriptor = Type.Object({
  resource: Type.String(),
  id: Type.String(),
  kind: Type.Union([Type.Literal("image"), Type.Literal("text")]),
  preview_url: Type.String(),
  excerpt: Type.Optional(Type.String()),
});
export type PreviewDescriptor = Static<typeof PreviewDescriptor>;

export const NeighborsResponse = Type.Object({
  prev: Type.Union([Type.String(), Type.Null()]),
  next: Type.Union([Type.String(), Type.Null()]),
  /** 1-based position in the filtered set, null when the record is not in it. */
  position: Type.Union([Type.Integer(), Type.Null()]),
  total: Type.Integer(),
});
export type NeighborsResponse = Static<typeof NeighborsResponse>;

export const WorkflowResponse = Type.Object({
  from: Type.String(),
  to: Type.String(),
  action: Type.String(),
  /** The record after the transition: the table-derived `RecordResponse` (its columns have one home, `TABLES`). */
  record: Type.Unsafe<Readonly<Record<string, unknown>>>({ $ref: "#/components/schemas/RecordResponse" }),
});
export type WorkflowResponse = Static<typeof WorkflowResponse>;

/** A password: `writeOnly`, so a 422 never echoes it (its `input` is "…"). */
const Secret = Type.String({ writeOnly: true, maxLength: PASSWORD_MAX });

export const LoginRequest = Type.Object(
  { username: Type.String({ maxLength: LOGIN_USERNAME_MAX }), password: Secret },
  { title: "LoginRequest" },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const PasswordChangeRequest = Type.Object(
  { current_password: Secret, new_password: Secret },
  { title: "PasswordChangeRequest" },
);
export type PasswordChangeRequest = Static<typeof PasswordChangeRequest>;

/** Account roles, least to most (the server's permission table is keyed by them). */
const RoleSchema = Type.Union(
  (["viewer", "annotator", "reviewer", "admin"] as const).map((r) => Type.Literal(r)),
  { title: "Role" },
);

/** A display name: `name` (what `tessera users add --name` and `GET /auth/me` call it) or `display_name`. */
const DisplayName = Type.String({ maxLength: DISPLAY_NAME_MAX });

export const UserCreateRequest = Type.Object(
  {
    username: Type.String(),
    role: RoleSchema,
    password: Type.Optional(Secret),
    name: Type.Optional(DisplayName),
    display_name: Type.Optional(DisplayName),
    dataset_roles: Type.Optional(Type.Record(Type.String(), RoleSchema)),
  },
  { title: "UserCreateRequest" },
);
export type UserCreateRequest = Static<typeof UserCreateRequest>;

export const UserUpdateRequest = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    name: Type.Optional(DisplayName),
    display_name: Type.Optional(DisplayName),
    password: Type.Optional(Secret),
    dataset_roles: Type.Optional(Type.Record(Type.String(), Type.Union([RoleSchema, Type.Null()]))),
    disabled: Type.Optional(
      Type.Boolean({ description: "A disabled account cannot sign in; its sessions and tokens stop working." }),
    ),
  },
  { title: "UserUpdateRequest" },
);
export type UserUpdateRequest = Static<typeof UserUpdateRequest>;

/** `PATCH /auth/me`: what anyone may change about their own account. */
export const ProfileUpdateRequest = Type.Object({ name: DisplayName }, { title: "ProfileUpdateRequest" });
export type ProfileUpdateRequest = Static<typeof ProfileUpdateRequest>;
