import { createEffect, createResource, createSignal, For, Index, on, Show, type Accessor } from "solid-js";
import type { Filter } from "@tessera/shared-crdt";
import { forgetFilterValues, getFilterValues, PICKABLE_TYPES } from "../../api/filterValues.js";
import type { FilterColumn } from "../../api/types.js";
import { emptyRow, filterToRow, OP_LABELS, operatorsOf, rowsToFilters, type FilterRow } from "../../app/filterRows.js";

/** A value the builder offers, with how many records hold it (null: not counted). */
interface Pick {
  readonly value: string;
  readonly count: number | null;
}

const MORE = "\u0000more";

/**
 * A row's pick-list: the server's for its column (the dataset's `features_values` pick-list, then
 * held values with counts), else the filter document's enumerated values (`split`, `status`).
 */
function rowPicks(
  datasetId: string | undefined,
  row: Accessor<FilterRow>,
  column: (name: string) => FilterColumn | undefined,
) {
  const [fetched] = createResource(
    () => {
      const col = column(row().column);
      return datasetId && col?.filterable && PICKABLE_TYPES.has(col.type) ? col.name : false;
    },
    async (name) => {
      try {
        return await getFilterValues(datasetId ?? "", name);
      } catch (err) {
        // The filter document's values (or free text) still work: say it, do not stop.
        console.warn(`tessera: no pick-list for ${name}`, err);
        return null;
      }
    },
  );
  // A resource keeps its last value when its column stops having a pick-list: only this column's counts.
  const current = () => {
    const got = fetched();
    return got && got.column === row().column ? got : null;
  };
  const picks = (): readonly Pick[] => {
    const got = current();
    // An empty value cannot be written as `col:eq:`: it is not offered.
    if (got) return got.values.filter((v) => v.value !== "");
    return (column(row().column)?.values ?? []).map((value) => ({ value, count: null }));
  };
  const more = () => current()?.more ?? column(row().column)?.values_complete === false;
  /**
   * A set of values to pick from: the dataset declares one, or the column holds few enough to list
   * them all. A column of ids or free text (too many values, none declared) keeps its text box, the
   * listed values as suggestions.
   */
  const enumLike = () => {
    const got = current();
    return picks().length > 0 && (got ? got.pick_list || !got.more : true);
  };
  return { picks, more, enumLike };
}

/**
 * Column / operator / value rows mapped to `filter=col:op:value` (the filter document says which
 * columns and operators exist). A column with a known set of values offers them as a pick-list
 * with record counts (`GET …/filters/{column}/values`: the dataset's pick-lists, status, split,
 * enum-like columns), "more…" leading to free text when there are others; other columns take free
 * text. Applied with Enter or the Apply button; an invalid row says why instead of reaching the server.
 */
export function FilterBuilder(props: {
  columns: readonly FilterColumn[];
  filters: readonly Filter[];
  onApply: (filters: Filter[]) => void;
  /** Where pick-lists come from (none: the filter document's values only). */
  datasetId?: string;
}) {
  // Counts change as records do: each explorer visit reads them afresh.
  if (props.datasetId) forgetFilterValues(props.datasetId);
  const [rows, setRows] = createSignal<FilterRow[]>(props.filters.map(filterToRow));
  const [error, setError] = createSignal<string | null>(null);
  const filterable = () => props.columns.filter((c) => c.filterable);
  const update = (i: number, patch: Partial<FilterRow>) =>
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const apply = (rs: FilterRow[] = rows()) => {
    const { filters, error: problem } = rowsToFilters(rs, props.columns);
    setError(problem);
    if (!problem) props.onApply(filters);
  };
  const column = (name: string) => props.columns.find((c) => c.name === name);
  return (
    <div class="filters" data-testid="filter-builder">
      <Index each={rows()}>
        {(row, i) => (
          <div class="filter-row" data-testid="filter-row">
            <select
              class="input"
              aria-label="Column"
              value={row().column}
              onChange={(e) => {
                const col = e.currentTarget.value;
                update(i, { column: col, op: operatorsOf(props.columns, col)[0] ?? "eq", value: "", value2: "" });
              }}
            >
              <For each={filterable()}>{(c) => <option value={c.name}>{c.name}</option>}</For>
            </select>
            <select
              class="input"
              aria-label="Operator"
              value={row().op}
              onChange={(e) => update(i, { op: e.currentTarget.value as FilterRow["op"] })}
            >
              <For each={operatorsOf(props.columns, row().column)}>
                {(op) => <option value={op}>{OP_LABELS[op]}</option>}
              </For>
            </select>
            {(() => {
              const { picks, more, enumLike } = rowPicks(props.datasetId, row, column);
              // "more…" chosen: this row takes free text (with the known values as suggestions).
              const [free, setFree] = createSignal(false);
              createEffect(
                on(
                  () => row().column,
                  () => setFree(false),
                  { defer: true },
                ),
              );
              const listId = `filter-values-${i}`;
              const single = () => row().op === "eq" || row().op === "ne";
              const label = (p: Pick) => (p.count === null ? p.value : `${p.value} (${p.count})`);
              return (
                <Show
                  when={single() && enumLike() && !free()}
                  fallback={
                    <>
                      <input
                        class="input grow"
                        aria-label="Value"
                        list={picks().length > 0 ? listId : undefined}
                        placeholder={
                          row().op === "in" || row().op === "nin"
                            ? "a, b, c"
                            : column(row().column)?.type === "datetime"
                              ? "2026-01-31"
                              : "value"
                        }
                        value={row().value}
                        onInput={(e) => update(i, { value: e.currentTarget.value })}
                        onKeyDown={(e) => e.key === "Enter" && apply()}
                        data-testid="filter-value-text"
                      />
                      <Show when={picks().length > 0}>
                        <datalist id={listId}>
                          <For each={picks()}>{(p) => <option value={p.value}>{label(p)}</option>}</For>
                        </datalist>
                      </Show>
                    </>
                  }
                >
                  <select
                    class="input grow"
                    aria-label="Value"
                    value={row().value}
                    onChange={(e) => {
                      const v = e.currentTarget.value;
                      if (v === MORE) setFree(true);
                      else update(i, { value: v });
                    }}
                    data-testid="filter-value-pick"
                  >
                    <option value="">—</option>
                    {/* A value from the address that the list does not hold stays selectable. */}
                    <Show when={row().value !== "" && !picks().some((p) => p.value === row().value)}>
                      <option value={row().value}>{row().value}</option>
                    </Show>
                    <For each={picks()}>{(p) => <option value={p.value}>{label(p)}</option>}</For>
                    <Show when={more()}>
                      <option value={MORE}>more…</option>
                    </Show>
                  </select>
                </Show>
              );
            })()}
            <Show when={row().op === "between"}>
              <input
                class="input"
                aria-label="Second value"
                placeholder="and"
                value={row().value2}
                onInput={(e) => update(i, { value2: e.currentTarget.value })}
                onKeyDown={(e) => e.key === "Enter" && apply()}
              />
            </Show>
            <button
              class="btn ghost icon"
              aria-label="Remove filter"
              onClick={() => {
                const rs = rows().filter((_, j) => j !== i);
                setRows(rs);
                apply(rs);
              }}
            >
              ×
            </button>
          </div>
        )}
      </Index>
      <div class="row">
        <button
          class="btn"
          onClick={() => setRows([...rows(), emptyRow(props.columns)])}
          disabled={filterable().length === 0}
          data-testid="add-filter"
        >
          + Filter
        </button>
        <button
          class="btn primary"
          onClick={() => apply()}
          disabled={rows().length === 0 && props.filters.length === 0}
          data-testid="apply-filters"
        >
          Apply
        </button>
        <Show when={error()}>
          <span class="error-text" role="alert">
            {error()}
          </span>
        </Show>
      </div>
    </div>
  );
}
