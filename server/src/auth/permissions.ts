import { kindsInRouteOrder, type Role } from "@tessera/shared-crdt";
import { principalRole, type Principal } from "./principal.js";
import { atLeast } from "./roles.js";

/**
 * The permission table: one rule per REST route, keyed by the route table's `operationId`
 * (`server/src/http/routeTable.ts`). A route without a rule is refused to everyone but global
 * admins and fails the permission-matrix test, so a new route cannot ship unguarded.
 *
 * - `public`: anyone, signed in or not (only the health check and the login).
 * - `signed-in`: any account.
 * - `dataset`: at least `min` on the route's dataset (a per-dataset role overrides the global one).
 * - `global`: at least `min` as a global role (user management).
 *
 * What a role may do *inside* a route is decided by the shared workflow rules, with the same
 * role: annotators edit records that are not validated and submit them; reviewers and admins
 * also approve, reject, reopen and edit anything (`canEditRecord`, `transition` in shared-crdt).
 */
export type Rule =
  | { readonly access: "public" }
  | { readonly access: "signed-in" }
  | { readonly access: "dataset"; readonly min: Role }
  | { readonly access: "global"; readonly min: Role };

const PUBLIC: Rule = { access: "public" };
const SIGNED_IN: Rule = { access: "signed-in" };
/** Read a dataset. */
const READ: Rule = { access: "dataset", min: "viewer" };
/** Edit annotations and record fields (through record documents: status rules apply) and take workflow actions. */
const ANNOTATE: Rule = { access: "dataset", min: "annotator" };
/** Resolve review threads (SPEC RV4): reviewers and admins of the dataset. */
const REVIEW: Rule = { access: "dataset", min: "reviewer" };
/** Manage a dataset: create and delete records, write embeddings, change its info. */
const MANAGE: Rule = { access: "dataset", min: "admin" };
/** Manage accounts. */
const ADMIN: Rule = { access: "global", min: "admin" };
/** The routes of `http/routes/io.ts`. */
const IO_OPERATIONS = [
  "list_io_formats",
  "create_upload_session",
  "upload_session_file",
  "delete_upload_session",
  "upload_archive",
  "upload_folder",
  "analyze_import_source",
  "start_import_job",
  "start_export_job",
  "list_io_jobs",
  "get_io_job",
  "cancel_io_job",
  "resume_io_job",
  "rollback_io_job",
  "download_io_export",
] as const;

/**
 * Annotation-side resources with full CRUD: [list op, singular]. Entities and their dynamic states,
 * then every annotation kind whose permissions class is `annotate` (in Pixano's router order).
 */
const EDITABLE: ReadonlyArray<readonly [string, string]> = [
  ["entities", "entity"],
  ["entity_dynamic_states", "entity_dynamic_state"],
  ...kindsInRouteOrder()
    .filter((k) => k.permissions === "annotate")
    .map((k) => [k.id, k.rest.name] as const),
];
/** Media views: [list op, singular, has blob and preview]. */
const VIEWS: ReadonlyArray<readonly [string, string, boolean]> = [
  ["images", "image", true],
  ["sframes", "sframe", true],
  ["texts", "text", false],
  ["videos", "video", true],
];

function build(): Record<string, Rule> {
  const t: Record<string, Rule> = {
    // Meta and auth.
    health_check: PUBLIC,
    get_openapi: SIGNED_IN,
    auth_login: PUBLIC,
    auth_logout: SIGNED_IN,
    auth_me: SIGNED_IN,
    auth_update_me: SIGNED_IN,
    auth_change_password: SIGNED_IN,
    list_tokens: SIGNED_IN,
    create_token: SIGNED_IN,
    revoke_token: SIGNED_IN,
    list_users: ADMIN,
    create_user: ADMIN,
    update_user: ADMIN,
    delete_user: ADMIN,
    list_user_tokens: ADMIN,
    revoke_user_token: ADMIN,
    // Library and datasets.
    list_datasets_info: SIGNED_IN,
    get_dataset_info: READ,
    get_dataset_stats: READ,
    get_dataset_splits: READ,
    get_dataset: READ,
    toggle_dataset_bookmark: MANAGE,
    get_filter_schema: READ,
    get_filter_values: READ,
    get_record_neighbors: READ,
    get_record_sframe_batch: READ,
    get_video_frames: READ,
    get_video_frame: READ,
    get_media_file: SIGNED_IN,
    // Records.
    list_records: READ,
    get_record: READ,
    create_record: MANAGE,
    replace_record: ANNOTATE,
    delete_record: MANAGE,
    record_workflow: ANNOTATE,
    // Embeddings are computed data, not annotations.
    list_embeddings: READ,
    get_embedding: READ,
    create_embedding: MANAGE,
    list_conversations: READ,
    get_conversation: READ,
    list_activity: READ,
    list_presence: READ,
    // Review threads (SPEC RV): anyone on the dataset reads them, annotators open and answer, reviewers resolve.
    list_review_threads: READ,
    create_review_thread: ANNOTATE,
    reply_review_thread: ANNOTATE,
    update_review_thread: REVIEW,
    get_review_queue: READ,
    list_review_stamps: READ,
    get_dataset_dashboard: READ,
    // Assignments (SPEC AS4): everyone on the dataset reads them (and who can take them); admins assign and lock.
    list_assignments: READ,
    get_next_for_me: READ,
    get_assignment_progress: READ,
    list_assignable_people: READ,
    assign_records: MANAGE,
    unassign_records: MANAGE,
    set_assignment_lock: MANAGE,
    // Inference discovery (nothing connected): Pixano's UI polls it on every page.
    list_connected_providers: SIGNED_IN,
    list_inference_models: SIGNED_IN,
    // Import/export (Pixano's /io/* and Tessera's uploads): they read server folders and build datasets, admins only.
    ...Object.fromEntries(IO_OPERATIONS.map((op) => [op, ADMIN])),
    // Interactive segmentation: the dataset named in the body is checked in the handler (read access).
    image_mask_generation: SIGNED_IN,
    segment_image: SIGNED_IN,
    segment_draft: ANNOTATE,
    // Semantic search: reading; computing the embeddings writes the embeddings table (as create_embedding).
    search_records: READ,
    compute_record_embeddings: MANAGE,
    // Pre-annotation jobs: annotators run them and cancel them; anyone on the dataset follows them.
    create_preannotation_job: ANNOTATE,
    list_preannotation_jobs: READ,
    get_preannotation_job: READ,
    cancel_preannotation_job: ANNOTATE,
    // Tracking runs: annotators start and cancel them (they write proposals); anyone on the dataset follows them.
    create_tracking_run: ANNOTATE,
    list_tracking_runs: READ,
    get_tracking_run: READ,
    cancel_tracking_run: ANNOTATE,
  };
  for (const [list, one, binary] of VIEWS) {
    Object.assign(t, { [`list_${list}`]: READ, [`get_${one}`]: READ, [`list_record_${list}`]: READ });
    if (binary) Object.assign(t, { [`get_${one}_blob`]: READ, [`get_${one}_preview`]: READ });
  }
  for (const [list, one] of EDITABLE) {
    Object.assign(t, {
      [`list_${list}`]: READ,
      [`get_${one}`]: READ,
      [`create_${one}`]: ANNOTATE,
      [`replace_${one}`]: ANNOTATE,
      [`delete_${one}`]: ANNOTATE,
    });
  }
  return t;
}

export const PERMISSIONS: Readonly<Record<string, Rule>> = build();

/** The rule of a route; routes missing from the table are admin-only (and fail the matrix test). */
export function ruleOf(operationId: string): { rule: Rule; listed: boolean } {
  const rule = PERMISSIONS[operationId];
  return rule ? { rule, listed: true } : { rule: ADMIN, listed: false };
}

/** The path parameter naming a route's dataset, or null when the route is not about one dataset. */
export function datasetParamOf(path: string): string | null {
  if (path.includes("{dataset_id}")) return "dataset_id";
  if (/^\/datasets\/(info\/)?\{id\}/.test(path)) return "id";
  return null;
}

export type Decision =
  | { readonly ok: true; readonly role: Role | null }
  | { readonly ok: false; readonly status: 401 | 403; readonly detail: string };

/** Whether `principal` may use a route with this rule on `datasetId`. */
export function decide(rule: Rule, principal: Principal, datasetId: string | null): Decision {
  if (rule.access === "public") return { ok: true, role: principalRole(principal, datasetId) };
  if (principal.kind === "anonymous") return { ok: false, status: 401, detail: "Authentication required." };
  if (rule.access === "signed-in") return { ok: true, role: principalRole(principal, datasetId) };
  const role = principalRole(principal, rule.access === "dataset" ? datasetId : null);
  if (role !== null && atLeast(role, rule.min)) return { ok: true, role };
  const where = rule.access === "dataset" ? " on this dataset" : "";
  return {
    ok: false,
    status: 403,
    detail: `Forbidden: this needs the ${rule.min} role${where} (you are ${role ?? "nobody"}).`,
  };
}
