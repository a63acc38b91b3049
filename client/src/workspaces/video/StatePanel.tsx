import { createMemo, For, Show, type Accessor } from "solid-js";
import { customCell, setTrackState, trackStateAt, type FrameRef } from "@tessera/shared-crdt";
import { toastError } from "../../ui/toasts.js";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";

/**
 * The selected track's dynamic state on the current frame (Pixano's `entity_dynamic_states`
 * custom fields: occluded, visibility…): the values set on this frame or carried from an earlier
 * one; editing a field sets it from this frame on (D-TRACK-6).
 */
export interface StateField {
  readonly name: string;
  readonly kind: "bool" | "number" | "text";
}

export function stateFields(ctx: WorkspaceContext): StateField[] {
  const ts = ctx.meta.schema.tables.get("entity_dynamic_states");
  if (!ts) return [];
  const out: StateField[] = [];
  for (const c of ts.columns) {
    if (c.source !== "custom") continue;
    const k = c.type.kind;
    if (k === "bool") out.push({ name: c.name, kind: "bool" });
    else if (k === "int64" || k === "float64" || k === "float32") out.push({ name: c.name, kind: "number" });
    else if (k === "utf8") out.push({ name: c.name, kind: "text" });
  }
  return out;
}

export function StatePanel(p: {
  readonly ctx: WorkspaceContext;
  readonly fields: readonly StateField[];
  readonly frame: Accessor<number>;
  readonly track: Accessor<string | null>;
  /** Bumped on every document change. */
  readonly version: Accessor<number>;
  frameOf(trackletId: string): FrameRef | null;
}) {
  const state = createMemo(() => {
    p.version();
    const t = p.track();
    return t === null ? undefined : trackStateAt(p.ctx.docCtx, t, p.frame());
  });
  const set = (name: string, value: unknown) => {
    const t = p.track();
    const f = t === null ? null : p.frameOf(t);
    if (t === null || !f || !p.ctx.editable()) return;
    try {
      p.ctx.undo.stopCapturing();
      setTrackState(p.ctx.docCtx, p.ctx.origin, { trackletId: t, frame: f, fields: { [name]: value } });
      p.ctx.undo.stopCapturing();
    } catch (err) {
      toastError(err, "Cannot set the state");
    }
  };
  return (
    <section class="video-state" data-testid="video-state">
      <h3>State on frame {p.frame()}</h3>
      <Show when={p.track() !== null} fallback={<p class="muted">Select a track to see its state on this frame.</p>}>
        <p class="muted" data-testid="video-state-origin">
          {state() === undefined
            ? "No state yet: setting a field starts one here."
            : state()?.frameIndex === p.frame()
              ? "Set on this frame."
              : `Carried from frame ${state()?.frameIndex}.`}
        </p>
        <For each={p.fields}>
          {(f) => {
            const value = () => customCell(state()?.row, f.name);
            return (
              <label class="video-state-field">
                <span>{f.name}</span>
                {f.kind === "bool" ? (
                  <input
                    type="checkbox"
                    data-testid={`state-${f.name}`}
                    checked={value() === true}
                    disabled={!p.ctx.editable()}
                    onChange={(e) => {
                      set(f.name, e.currentTarget.checked);
                      // Back to the workspace's keys (F/D, Space…), which a focused field would keep.
                      e.currentTarget.blur();
                    }}
                  />
                ) : (
                  <input
                    type={f.kind === "number" ? "number" : "text"}
                    step="any"
                    data-testid={`state-${f.name}`}
                    value={value() === undefined || value() === null ? "" : String(value())}
                    disabled={!p.ctx.editable()}
                    onChange={(e) => {
                      const raw = e.currentTarget.value;
                      if (f.kind === "text") set(f.name, raw);
                      else if (raw !== "" && Number.isFinite(Number(raw))) set(f.name, Number(raw));
                      e.currentTarget.blur();
                    }}
                  />
                )}
              </label>
            );
          }}
        </For>
      </Show>
    </section>
  );
}
