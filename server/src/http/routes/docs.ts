import { LIMIT_MAX, SEARCH_TEXT_MAX } from "@tessera/shared-crdt/api";
import type { QueryParamDoc } from "../routeTable.js";

/** Query parameters shared by many routes, documented once. */
export const paginationDocs = [
  { name: "limit", schema: { type: "integer", minimum: 1, maximum: LIMIT_MAX, default: 100 } },
  { name: "offset", schema: { type: "integer", minimum: 0, default: 0 } },
  {
    name: "after",
    schema: { type: "string" },
    description:
      "Keyset cursor: the id of the last row of the previous page (empty: the first page). The listing is then in its sort order (id when it has none) and holds the rows after that one; offset counts from there. Deep pages cost what the first does.",
  },
] as const satisfies readonly QueryParamDoc[];

export const whereDoc = {
  name: "where",
  schema: { type: "string" },
  description:
    "Deprecated. Only simple forms are accepted (col = 'x', col = 3, a = 'x' AND b > 2, col IN ('a','b')); use filter=.",
} as const satisfies QueryParamDoc;

export const explorerQueryDocs = [
  {
    name: "filter",
    schema: { type: "array", items: { type: "string" } },
    description:
      "Repeatable col:op:value (ops per type in GET /datasets/{id}/filters; list values comma-separated, \\, escapes).",
  },
  {
    name: "q",
    // Pixano 0.8 declares a plain string and answers a longer text with its own 400 (not a 422).
    schema: { type: "string" },
    description: `Free text over comment and custom string columns; at most ${SEARCH_TEXT_MAX} characters (longer is a 400, as in Pixano).`,
  },
  { name: "sort", schema: { type: "string", default: "id" } },
  {
    name: "order",
    schema: { type: "string", default: "asc" },
    description: "asc or desc, in any case (anything else is a 400).",
  },
  whereDoc,
] as const satisfies readonly QueryParamDoc[];
