import { createMemo, For, Show } from "solid-js";
import { mentionOf } from "@tessera/shared-crdt";
import type { EntityItem } from "../../app/EntityIndex.js";
import type { Linking } from "./linking.js";

const SHAPES: ReadonlySet<string> = new Set(["bboxes", "masks", "multi_paths", "keypoints"]);

/** What an entity has on the image, for the picker ("box · mask", or nothing). */
export function shapesOf(e: EntityItem): string {
  const has = (t: string) => e.annotations.some((a) => a.table === t);
  return [has("bboxes") && "box", has("masks") && "mask", has("multi_paths") && "polygon", has("keypoints") && "points"]
    .filter((x): x is string => typeof x === "string")
    .join(" · ");
}

const hasShape = (e: EntityItem) => e.annotations.some((a) => SHAPES.has(a.table));

/**
 * The pending span: its mention, and which entity it will name — one of the record's entities
 * (those with a box or mask first: the point of linking) or a new one, named after the mention
 * unless changed. Enter links, Esc drops the selection; Ctrl/⌘+select adds a range.
 */
export function LinkBar(props: {
  linking: Linking;
  content: string;
  items: readonly EntityItem[];
  colorOf: (entityId: string) => string;
}) {
  const L = props.linking;
  const mention = createMemo(() => {
    const p = L.pending();
    return p ? mentionOf(props.content, p.ranges) : "";
  });
  const ordered = createMemo(() => [...props.items].sort((a, b) => Number(hasShape(b)) - Number(hasShape(a))));
  return (
    <div class="el-linkbar" data-testid="el-linkbar">
      <div class="el-linkbar-head">
        <span class="faint">New span</span>
        <q class="el-mention" data-testid="el-pending-mention">
          {mention()}
        </q>
        <span class="faint el-hint">
          {L.pending()?.ranges.length ?? 0} range(s) · <span class="kbd">Ctrl</span>+select adds one
        </span>
      </div>
      <div class="el-pick" role="radiogroup" aria-label="Link to">
        <For each={ordered()}>
          {(e) => (
            <button
              role="radio"
              aria-checked={L.target() === e.id}
              class="el-option"
              classList={{ on: L.target() === e.id }}
              data-testid="el-entity-option"
              data-entity-id={e.id}
              onClick={() => L.setTarget(e.id)}
              onMouseEnter={() => L.hoverEntity(e.id)}
              onMouseLeave={() => L.hoverEntity(null)}
            >
              <span class="el-dot" style={{ background: props.colorOf(e.id) }} />
              <span class="el-option-label">{e.label || e.id.slice(0, 8)}</span>
              <span class="faint">{shapesOf(e)}</span>
            </button>
          )}
        </For>
        <label class="el-option el-new" classList={{ on: L.target() === null }}>
          <input
            type="radio"
            name="el-target"
            checked={L.target() === null}
            onChange={() => L.setTarget(null)}
            data-testid="el-new-entity"
          />
          New entity
          <input
            class="input"
            value={L.newName()}
            aria-label="Name of the new entity"
            data-testid="el-new-name"
            onFocus={() => L.setTarget(null)}
            onInput={(e) => L.setNewName(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                L.confirm();
              } else if (e.key === "Escape") L.cancel();
            }}
          />
        </label>
      </div>
      <div class="row el-actions">
        <button class="btn primary" data-testid="el-link" onClick={() => L.confirm()}>
          Link <span class="kbd">Enter</span>
        </button>
        <button class="btn ghost" data-testid="el-cancel" onClick={() => L.cancel()}>
          Cancel <span class="kbd">Esc</span>
        </button>
        <Show when={L.target() !== null}>
          <span class="faint">to an existing entity</span>
        </Show>
      </div>
    </div>
  );
}
