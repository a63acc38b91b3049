import { createMemo, For, Match, Show, Switch } from "solid-js";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import { LinkBar } from "./LinkBar.js";
import type { Linking } from "./linking.js";
import { SpanList } from "./SpanList.js";
import { TextBlock } from "./TextBlock.js";
import "./entityLinking.css";

/** The entity-linking side panel: the record's texts with their spans, the pending span, the span list. */
export default function LinkingPanel(props: { ctx: WorkspaceContext; linking: Linking }) {
  const ctx = props.ctx;
  const L = props.linking;
  const colorOf = (entityId: string) => ctx.colorOfLabel(ctx.index.get(entityId)?.label ?? "");
  const selectedSpan = createMemo(() => ctx.selection().find((r) => r.table === "text_spans")?.id ?? null);
  const selectSpan = (spanId: string) => ctx.select([{ table: "text_spans", id: spanId }]);
  const pendingText = createMemo(() => {
    const p = L.pending();
    return p ? (L.texts()?.find((t) => t.id === p.viewId)?.content ?? null) : null;
  });
  return (
    <div class="el-panel" data-testid="el-panel">
      <div class="el-title">Texts</div>
      <Switch>
        <Match when={L.textsError()}>
          <div class="error-text">The record's texts could not be loaded.</div>
        </Match>
        <Match when={L.texts() === undefined}>
          <div class="faint el-pad">Loading the texts…</div>
        </Match>
        <Match when={L.texts()?.length === 0}>
          <div class="faint el-pad">This record has no text view.</div>
        </Match>
      </Switch>
      <For each={L.texts() ?? []}>
        {(view) => (
          <Show
            when={view.content !== null}
            fallback={
              <div class="faint el-pad">
                Text {view.logicalName} is not embedded ({view.uri}).
              </div>
            }
          >
            <TextBlock
              view={view}
              content={view.content ?? ""}
              linking={L}
              colorOf={colorOf}
              editable={ctx.editable()}
              onSpanClick={selectSpan}
            />
          </Show>
        )}
      </For>
      <Show when={ctx.editable() && L.texts()?.some((t) => t.content) && !L.pending()}>
        <div class="faint el-pad el-hint">
          Select text to make a span; <span class="kbd">Ctrl</span>+select adds a range (a discontinuous span).
        </div>
      </Show>
      <Show when={pendingText()}>
        {(content) => <LinkBar linking={L} content={content()} items={ctx.items()} colorOf={colorOf} />}
      </Show>
      <SpanList
        linking={L}
        items={ctx.items()}
        colorOf={colorOf}
        editable={ctx.editable()}
        selectedSpan={selectedSpan()}
        onSelect={selectSpan}
      />
    </div>
  );
}
