import { createSignal, For, Index, Show } from "solid-js";
import type { Filter } from "@tessera/shared-crdt";
import type { FilterColumn } from "../../api/types.js";
import { emptyRow, filterToRow, OP_LABELS, operatorsOf, rowsToFilters, type FilterRow } from "../../app/filterRows.js";

/**
 * Column / operator / value rows mapped to `filter=col:op:value` (the filter document says which
 * columns and operators exist and, for `split`/`status`, which values). Applied with Enter or the
 * Apply button; an invalid row says why instead of reaching the server.
 */
export function FilterBuilder(props: {
  columns: readonly FilterColumn[];
  filters: readonly Filter[];
  onApply: (filters: Filter[]) => void;
}) {
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
            <Show
              when={(column(row().column)?.values?.length ?? 0) > 0 && (row().op === "eq" || row().op === "ne")}
              fallback={
                <input
                  class="input grow"
                  aria-label="Value"
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
                />
              }
            >
              <select
                class="input grow"
                aria-label="Value"
                value={row().value}
                onChange={(e) => update(i, { value: e.currentTarget.value })}
              >
                <option value="">—</option>
                <For each={column(row().column)?.values ?? []}>{(v) => <option value={v}>{v}</option>}</For>
              </select>
            </Show>
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
