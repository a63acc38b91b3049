import { createSignal, For, Show } from "solid-js";
import type { LabelField } from "../../app/categories.js";
import type { KeypointTemplate, ToolName } from "../../canvas/types.js";
import { toolUses } from "../../tools/registry.js";

export const BRUSH_SIZES = [2, 4, 8, 12, 16, 24, 32, 48, 64, 96] as const;

/**
 * The strip over the canvas: the category new shapes get, the tool's own options (keypoint
 * template, brush size: those its kind module says it uses), the view (fit, 1:1) and image
 * adjustments (brightness, contrast).
 */
export function ToolOptions(props: {
  tool: ToolName;
  field: LabelField | null;
  category: string;
  onCategory: (v: string) => void;
  templates: readonly KeypointTemplate[];
  template: string;
  onTemplate: (id: string) => void;
  brush: number;
  onBrush: (px: number) => void;
  onFit: () => void;
  onOneToOne: () => void;
  onAdjust: (a: { brightness: number; contrast: number }) => void;
  colorOf: (label: string) => string;
}) {
  const [adjusting, setAdjusting] = createSignal(false);
  // Multipliers: 1 leaves the image as it is.
  const [brightness, setBrightness] = createSignal(1);
  const [contrast, setContrast] = createSignal(1);
  const adjust = (b: number, c: number) => {
    setBrightness(b);
    setContrast(c);
    props.onAdjust({ brightness: b, contrast: c });
  };
  return (
    <div class="tool-options" data-testid="tool-options">
      <Show when={props.field && props.field.values.length > 0}>
        <label class="opt" title="Category of the next shape (1–9)">
          <i class="dot" style={{ background: props.colorOf(props.category) }} />
          <select
            class="input"
            value={props.category}
            aria-label="Category of new shapes"
            onChange={(e) => props.onCategory(e.currentTarget.value)}
          >
            <For each={props.field?.values ?? []}>
              {(v, i) => <option value={v}>{i() < 9 ? `${i() + 1} · ${v}` : v}</option>}
            </For>
          </select>
        </label>
      </Show>
      <Show when={toolUses(props.tool, "template")}>
        <label class="opt" title="Keypoint template">
          Template
          <select
            class="input"
            value={props.template}
            aria-label="Keypoint template"
            onChange={(e) => props.onTemplate(e.currentTarget.value)}
          >
            <For each={props.templates}>{(t) => <option value={t.id}>{t.id}</option>}</For>
          </select>
        </label>
      </Show>
      <Show when={toolUses(props.tool, "brushSize")}>
        <label class="opt" title="Brush size ([ and ])">
          Size
          <input
            type="range"
            min={1}
            max={96}
            value={props.brush}
            aria-label="Brush size"
            onInput={(e) => props.onBrush(Number(e.currentTarget.value))}
          />
          <span class="mono">{props.brush}px</span>
        </label>
      </Show>
      <span class="spacer" />
      <button class="btn ghost" title="Fit (F)" onClick={() => props.onFit()}>
        Fit
      </button>
      <button class="btn ghost" title="Zoom 1:1 (0)" onClick={() => props.onOneToOne()}>
        1:1
      </button>
      <div style={{ position: "relative" }}>
        <button
          class="btn ghost"
          aria-expanded={adjusting()}
          onClick={() => setAdjusting(!adjusting())}
          title="Brightness and contrast"
        >
          ☀
        </button>
        <Show when={adjusting()}>
          <div class="menu" style={{ padding: "12px", gap: "8px", "min-width": "240px" }}>
            <label class="field">
              Brightness ×{brightness().toFixed(2)}
              <input
                type="range"
                min={0}
                max={2}
                step={0.05}
                value={brightness()}
                onInput={(e) => adjust(Number(e.currentTarget.value), contrast())}
              />
            </label>
            <label class="field">
              Contrast ×{contrast().toFixed(2)}
              <input
                type="range"
                min={0}
                max={2}
                step={0.05}
                value={contrast()}
                onInput={(e) => adjust(brightness(), Number(e.currentTarget.value))}
              />
            </label>
            <button class="btn" onClick={() => adjust(1, 1)}>
              Reset
            </button>
          </div>
        </Show>
      </div>
    </div>
  );
}
