import { createMemo, createSignal, For, Show } from "solid-js";
import * as Y from "yjs";
import { tableMap, type Row } from "@tessera/shared-crdt";
import type { AnnotationRef, EntityItem } from "../../app/EntityIndex.js";
import { Avatar } from "../../ui/Avatar.js";
import { kindLabel } from "../../kinds/registry.js";
import { VirtualList } from "./VirtualList.js";
import { ProposalChip } from "../../proposals/ProposalChip.js";
import type { WorkspaceContext } from "./workspaceContext.js";

const EYE = "M2 10s3-5.5 8-5.5S18 10 18 10s-3 5.5-8 5.5S2 10 2 10zM10 12.5a2.5 2.5 0 100-5 2.5 2.5 0 000 5z";
const EYE_OFF = "M2 10s3-5.5 8-5.5S18 10 18 10s-3 5.5-8 5.5S2 10 2 10zM3 3l14 14";
const LOCK = "M5 9h10v8H5zM7 9V6.5a3 3 0 016 0V9";
const UNLOCK = "M5 9h10v8H5zM7 9V6.5a3 3 0 015.8-1";

function Icon(props: { path: string }) {
  return (
    <svg
      width="14"
      height="14"
      viewBox="0 0 20 20"
      fill="none"
      stroke="currentColor"
      stroke-width="1.6"
      stroke-linecap="round"
      stroke-linejoin="round"
    >
      <path d={props.path} />
    </svg>
  );
}

/** The fields of one annotation row (its kind's label may depend on them: polygon or polyline). */
function rowOf(doc: Y.Doc, table: AnnotationRef["table"], id: string): Row | undefined {
  const m = tableMap(doc, table).get(id);
  return m instanceof Y.Map ? (m.toJSON() as Row) : undefined;
}

function kinds(e: EntityItem, doc: Y.Doc): string {
  const counts = new Map<string, number>();
  for (const a of e.annotations) {
    const k = kindLabel(a.table, rowOf(doc, a.table, a.id)) ?? a.table;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => (n > 1 ? `${n} ${k}` : k)).join(" · ") || "no shape";
}

/**
 * Objects: every entity (by id, its short id shown) with its annotations, filterable, hide/lock,
 * relabel from the pick-list, who last edited it. Virtualised, so thousands of rows cost what is on screen.
 */
export function ObjectsTab(props: { ctx: WorkspaceContext }) {
  const ctx = props.ctx;
  const [filter, setFilter] = createSignal("");
  const shown = createMemo(() => {
    const q = filter().trim().toLowerCase();
    const filtered = ctx.proposals.filteredEntities(); // below the proposal threshold, or rejected
    const all = ctx.items().filter((e) => !filtered.has(e.id));
    return q ? all.filter((e) => e.label.toLowerCase().includes(q) || e.id.toLowerCase().includes(q)) : all;
  });
  const selectedEntities = createMemo(
    () =>
      new Set(
        ctx
          .selection()
          .map((r) => ctx.index.entityOf(r))
          .filter((x): x is string => x !== undefined),
      ),
  );
  const firstSelected = createMemo(() => {
    const sel = selectedEntities();
    if (sel.size === 0) return null;
    const i = shown().findIndex((e) => sel.has(e.id));
    return i >= 0 ? i : null;
  });
  const field = ctx.meta.labelField;
  return (
    <div class="tab-body">
      <div class="row" style={{ padding: "8px 12px" }}>
        <input
          class="input grow"
          type="search"
          placeholder={`Filter ${ctx.items().length} objects`}
          aria-label="Filter objects"
          value={filter()}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
      </div>
      <Show when={ctx.items().length === 0}>
        <Show
          when={ctx.loaded()}
          fallback={
            <div class="empty" data-testid="objects-loading">
              Loading the record…
            </div>
          }
        >
          <div class="empty">No object yet. Pick a tool on the left and draw.</div>
        </Show>
      </Show>
      <VirtualList items={shown()} rowHeight={36} testId="objects-list" scrollTo={firstSelected()}>
        {(e) => {
          const editor = () => (e.lastEditor === null ? null : ctx.nameOf(e.lastEditor));
          return (
            <div
              class={`obj${selectedEntities().has(e.id) ? " sel" : ""}`}
              data-testid="object-row"
              data-entity={e.id}
              data-label={e.label}
              onClick={() => ctx.selectEntity(e.id)}
            >
              <span class="swatch" style={{ background: ctx.colorOfLabel(e.label) }} />
              <span class="mono faint obj-id" title={e.id} data-testid="object-id">
                {e.id.slice(0, 8)}
              </span>
              <Show when={field}>
                {(f) => (
                  <Show
                    when={f().restricted && f().values.length > 0}
                    fallback={
                      <input
                        class="input"
                        list="label-values"
                        value={e.label}
                        disabled={!ctx.editable()}
                        aria-label={`${f().name} of ${e.id}`}
                        onClick={(ev) => ev.stopPropagation()}
                        onChange={(ev) => ctx.relabel(e.id, ev.currentTarget.value)}
                      />
                    }
                  >
                    <select
                      class="input"
                      value={e.label}
                      disabled={!ctx.editable()}
                      aria-label={`${f().name} of ${e.id}`}
                      data-testid="relabel"
                      onClick={(ev) => ev.stopPropagation()}
                      onChange={(ev) => ctx.relabel(e.id, ev.currentTarget.value)}
                    >
                      <Show when={!f().values.includes(e.label)}>
                        <option value={e.label}>{e.label || "—"}</option>
                      </Show>
                      <For each={f().values}>{(v) => <option value={v}>{v}</option>}</For>
                    </select>
                  </Show>
                )}
              </Show>
              <span class="kinds grow">{kinds(e, ctx.docCtx.doc)}</span>
              <Show when={ctx.proposals.byEntity().get(e.id)?.[0]}>{(p) => <ProposalChip item={p()} />}</Show>
              <Show when={editor()}>
                {(who) => (
                  <Avatar name={who().name} color={who().color} size={20} title={`Last edited by ${who().name}`} />
                )}
              </Show>
              <button
                class={`tgl${ctx.hidden().has(e.id) ? " on" : ""}`}
                title={ctx.hidden().has(e.id) ? "Show" : "Hide"}
                aria-label={ctx.hidden().has(e.id) ? "Show" : "Hide"}
                aria-pressed={ctx.hidden().has(e.id)}
                onClick={(ev) => (ev.stopPropagation(), ctx.toggleHidden(e.id))}
              >
                <Icon path={ctx.hidden().has(e.id) ? EYE_OFF : EYE} />
              </button>
              <button
                class={`tgl${ctx.locked().has(e.id) ? " on" : ""}`}
                title={ctx.locked().has(e.id) ? "Unlock" : "Lock"}
                aria-label={ctx.locked().has(e.id) ? "Unlock" : "Lock"}
                aria-pressed={ctx.locked().has(e.id)}
                onClick={(ev) => (ev.stopPropagation(), ctx.toggleLocked(e.id))}
              >
                <Icon path={ctx.locked().has(e.id) ? LOCK : UNLOCK} />
              </button>
            </div>
          );
        }}
      </VirtualList>
      <Show when={field && !field.restricted}>
        <datalist id="label-values">
          <For each={field?.values ?? []}>{(v) => <option value={v} />}</For>
        </datalist>
      </Show>
    </div>
  );
}
