import { Type, type Static } from "@sinclair/typebox";

/**
 * `GET /datasets/{id}/filters/{column}/values`: the values the explorer's filter builder offers as a
 * pick-list for one record column — the dataset's pick-list (`features_values.json`) first, then the
 * values the records hold, most frequent first, each with how many records have it. Bounded: at most
 * `limit` values; `more` says there are others (the builder then also takes free text).
 */
export const FILTER_VALUES_LIMIT_DEFAULT = 50;
export const FILTER_VALUES_LIMIT_MAX = 200;

export const FilterValue = Type.Object(
  {
    value: Type.String(),
    /** Records whose column holds this value (0 for a pick-list value no record uses yet). */
    count: Type.Integer({ minimum: 0 }),
  },
  { title: "FilterValue", additionalProperties: false },
);
export type FilterValue = Static<typeof FilterValue>;

export const FilterValuesResponse = Type.Object(
  {
    column: Type.String(),
    type: Type.String(),
    values: Type.Array(FilterValue),
    /** Other values exist beyond those listed. */
    more: Type.Boolean(),
    /** The dataset declares a pick-list for the column (`features_values.json`, records). */
    pick_list: Type.Boolean(),
    /** That pick-list is closed (Pixano's `restricted`). */
    restricted: Type.Boolean(),
  },
  { title: "FilterValuesResponse", additionalProperties: false },
);
export type FilterValuesResponse = Static<typeof FilterValuesResponse>;
