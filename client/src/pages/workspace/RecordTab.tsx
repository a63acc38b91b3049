import { createMemo, For, Show, type Accessor } from "solid-js";
import { setRecordFields, type ActivityEntry, type Row } from "@tessera/shared-crdt";
import { pickLists } from "../../app/categories.js";
import { customRecordFields } from "../../app/datasetMeta.js";
import { StatusChip } from "../../ui/StatusChip.js";
import { toastError } from "../../ui/toasts.js";
import { activityText, timeAgo } from "./activityText.js";
import type { WorkspaceContext } from "./workspaceContext.js";

/** Record: its fields (edited straight into the document), the comment and the status history. */
export function RecordTab(props: {
  ctx: WorkspaceContext;
  fields: Accessor<Row>;
  activity: Accessor<readonly ActivityEntry[]>;
}) {
  const ctx = props.ctx;
  const custom = customRecordFields(ctx.meta);
  const lists = [
    ...pickLists(ctx.meta.featureValues, "item", "records"),
    ...pickLists(ctx.meta.featureValues, "records", "records"),
  ];
  const history = createMemo(() => props.activity().filter((a) => a.kind === "status"));
  const set = (patch: Row) => {
    try {
      setRecordFields(ctx.docCtx, ctx.origin, patch);
    } catch (err) {
      toastError(err, "Cannot change the record");
    }
  };
  return (
    <div class="panel-pad" data-testid="record-tab">
      <div class="row">
        <span class="mono grow">{ctx.recordId}</span>
        <StatusChip status={String(props.fields().status ?? "new")} />
      </div>
      <label class="field">
        Split
        <input class="input" value={String(props.fields().split ?? "")} disabled />
      </label>
      <For each={custom}>
        {(name) => {
          const list = lists.find((l) => l.name === name);
          return (
            <label class="field">
              {name}
              <Show
                when={list && list.restricted}
                fallback={
                  <input
                    class="input"
                    list={list ? `rv-${name}` : undefined}
                    value={String(props.fields()[name] ?? "")}
                    disabled={!ctx.editable()}
                    onChange={(e) => set({ [name]: e.currentTarget.value })}
                  />
                }
              >
                <select
                  class="input"
                  value={String(props.fields()[name] ?? "")}
                  disabled={!ctx.editable()}
                  onChange={(e) => set({ [name]: e.currentTarget.value })}
                >
                  <option value="">—</option>
                  <For each={list?.values ?? []}>{(v) => <option value={v}>{v}</option>}</For>
                </select>
              </Show>
              <Show when={list && !list.restricted}>
                <datalist id={`rv-${name}`}>
                  <For each={list?.values ?? []}>{(v) => <option value={v} />}</For>
                </datalist>
              </Show>
            </label>
          );
        }}
      </For>
      <label class="field">
        Comment
        <textarea
          class="input"
          rows={3}
          value={String(props.fields().comment ?? "")}
          disabled={!ctx.editable()}
          onChange={(e) => set({ comment: e.currentTarget.value })}
          data-testid="record-comment"
        />
      </label>
      <div>
        <div class="muted" style={{ "font-size": "12px", "margin-bottom": "4px" }}>
          Status history
        </div>
        <Show when={history().length > 0} fallback={<div class="faint">No status change recorded.</div>}>
          <div class="feed">
            <For each={history()}>
              {(a) => (
                <div class="feed-item">
                  <span class="grow">
                    <b style={{ color: a.user.color }}>{a.user.name}</b> {activityText(a)}
                  </span>
                  <span class="when">{timeAgo(a.at)}</span>
                </div>
              )}
            </For>
          </div>
        </Show>
      </div>
    </div>
  );
}
