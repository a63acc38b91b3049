import { For, Show } from "solid-js";
import type { EntityItem } from "../../app/EntityIndex.js";
import type { Linking } from "./linking.js";
import { shapesOf } from "./LinkBar.js";
import type { SpanItem } from "./spanStore.js";
import { viewOfSpan } from "./textViews.js";

/**
 * The spans of the record, in text order: mention, the entity it names (re-link from the list),
 * delete, and — while a selection is pending in the same text — add it to the span as another
 * range. Hovering a row lights its entity's shapes and spans.
 */
export function SpanList(props: {
  linking: Linking;
  items: readonly EntityItem[];
  colorOf: (entityId: string) => string;
  editable: boolean;
  selectedSpan: string | null;
  onSelect: (spanId: string) => void;
}) {
  const L = props.linking;
  const labelOf = (id: string) => props.items.find((e) => e.id === id)?.label || id.slice(0, 8);
  const canExtend = (s: SpanItem) => {
    const p = L.pending();
    return props.editable && !!p && viewOfSpan(s.viewId, L.texts() ?? [])?.id === p.viewId;
  };
  return (
    <div class="el-spans" data-testid="el-spans">
      <div class="el-spans-head faint">
        {L.spans().length} span{L.spans().length === 1 ? "" : "s"}
      </div>
      <For each={L.spans()}>
        {(s) => (
          <div
            class="el-span-row"
            classList={{ lit: L.lit().has(s.entityId), on: props.selectedSpan === s.id }}
            data-testid="el-span-row"
            data-span-id={s.id}
            data-entity-id={s.entityId}
            onMouseEnter={() => L.hoverEntity(s.entityId)}
            onMouseLeave={() => L.hoverEntity(null)}
            onClick={() => props.onSelect(s.id)}
          >
            <span class="el-dot" style={{ background: props.colorOf(s.entityId) }} />
            <q class="el-mention grow" data-testid="el-span-mention">
              {s.mention}
            </q>
            <Show when={props.editable} fallback={<span class="faint">{labelOf(s.entityId)}</span>}>
              <select
                class="input el-relink"
                aria-label="Entity of this span"
                data-testid="el-relink"
                value={s.entityId}
                onClick={(e) => e.stopPropagation()}
                onChange={(e) => L.relink(s.id, e.currentTarget.value)}
              >
                <For each={props.items}>
                  {(e) => (
                    <option value={e.id} selected={e.id === s.entityId}>
                      {(e.label || e.id.slice(0, 8)) + (shapesOf(e) ? ` (${shapesOf(e)})` : "")}
                    </option>
                  )}
                </For>
              </select>
              <Show when={canExtend(s)}>
                <button
                  class="btn icon ghost"
                  title="Add the selection to this span"
                  data-testid="el-extend"
                  onClick={(e) => {
                    e.stopPropagation();
                    L.extend(s.id);
                  }}
                >
                  +
                </button>
              </Show>
              <button
                class="btn icon ghost"
                title="Delete this span"
                aria-label="Delete this span"
                data-testid="el-delete-span"
                onClick={(e) => {
                  e.stopPropagation();
                  L.remove(s.id);
                }}
              >
                ×
              </button>
            </Show>
          </div>
        )}
      </For>
    </div>
  );
}
