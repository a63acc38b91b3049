import { createSignal, type Accessor } from "solid-js";
import type { Awareness } from "y-protocols/awareness";
import type { LabelField } from "../../app/categories.js";
import { categoryForTemplate } from "../../app/templates.js";
import type { CanvasController, KeypointTemplate, ToolName } from "../../canvas/types.js";
import { BRUSH_SIZES } from "./ToolOptions.js";

/**
 * What the panels set on the canvas (tool, category of new shapes, keypoint template, brush size,
 * hidden and locked entities), kept in signals so it survives until the canvas mounts and is
 * forwarded to the controller from then on. The last category is remembered per dataset.
 */
export interface CanvasSettings {
  readonly tool: Accessor<ToolName>;
  readonly lastDrawTool: Accessor<ToolName>;
  readonly category: Accessor<string>;
  readonly template: Accessor<string>;
  readonly brush: Accessor<number>;
  readonly hidden: Accessor<ReadonlySet<string>>;
  readonly locked: Accessor<ReadonlySet<string>>;
  setTool(t: ToolName): void;
  setCategory(v: string): void;
  setTemplate(id: string): void;
  setBrush(px: number): void;
  stepBrush(delta: -1 | 1): void;
  toggleHidden(entityId: string): void;
  toggleLocked(entityId: string): void;
  /** Pushes every setting to a controller that just mounted, and follows the changes it makes itself. */
  applyTo(c: CanvasController): void;
}

const categoryKey = (datasetId: string) => `tessera.category.${datasetId}`;

function storedCategory(datasetId: string): string {
  try {
    return localStorage.getItem(categoryKey(datasetId)) ?? "";
  } catch (err) {
    console.warn("tessera: localStorage unavailable", err);
    return "";
  }
}

export function canvasSettings(o: {
  datasetId: string;
  field: LabelField | null;
  /** The dataset's keypoint templates (`datasetTemplates`). */
  templates: readonly KeypointTemplate[];
  controller: Accessor<CanvasController | null>;
  awareness: Awareness;
  /** Told of every tool change, including the canvas's own (it goes back to select after a box). */
  onTool: (t: ToolName) => void;
}): CanvasSettings {
  const [tool, setToolSignal] = createSignal<ToolName>("select");
  const [lastDrawTool, setLastDrawTool] = createSignal<ToolName>("bbox");
  const [category, setCategorySignal] = createSignal(storedCategory(o.datasetId) || o.field?.values[0] || "");
  const [template, setTemplateSignal] = createSignal(o.templates[0]?.id ?? "");
  const [brush, setBrushSignal] = createSignal(16);
  const [hidden, setHidden] = createSignal<ReadonlySet<string>>(new Set());
  const [locked, setLocked] = createSignal<ReadonlySet<string>>(new Set());

  const setCategory = (v: string) => {
    setCategorySignal(v);
    o.controller()?.setCategory(v);
    try {
      localStorage.setItem(categoryKey(o.datasetId), v);
    } catch (err) {
      console.warn("tessera: cannot remember the category", err);
    }
  };
  // A skeleton gets the category its template is for, not the one the last shape used.
  const categoryForSkeleton = () => {
    const c = categoryForTemplate(
      o.templates.find((t) => t.id === template()),
      o.field,
      category(),
    );
    if (c !== category()) setCategory(c);
  };

  const noteTool = (t: ToolName) => {
    setToolSignal(t);
    if (t !== "select") setLastDrawTool(t);
    o.onTool(t);
  };

  const toggler =
    (
      get: Accessor<ReadonlySet<string>>,
      set: (s: ReadonlySet<string>) => void,
      push: (c: CanvasController, s: ReadonlySet<string>) => void,
    ) =>
    (id: string) => {
      const next = new Set(get());
      if (next.has(id)) next.delete(id);
      else next.add(id);
      set(next);
      const c = o.controller();
      if (c) push(c, next);
    };
  const setBrush = (px: number) => {
    setBrushSignal(px);
    o.controller()?.setBrushRadius(px);
  };

  return {
    tool,
    lastDrawTool,
    category,
    template,
    brush,
    hidden,
    locked,
    setTool(t) {
      o.controller()?.setTool(t);
      o.awareness.setLocalStateField("tool", t);
      noteTool(t);
      if (t === "keypoints") categoryForSkeleton();
    },
    setCategory,
    setTemplate(id) {
      setTemplateSignal(id);
      o.controller()?.setKeypointTemplate(id);
      if (tool() === "keypoints") categoryForSkeleton();
    },
    setBrush,
    stepBrush(delta) {
      const i = BRUSH_SIZES.findIndex((b) => b >= brush());
      const at = (i < 0 ? BRUSH_SIZES.length - 1 : i) + delta;
      setBrush(BRUSH_SIZES[Math.max(0, Math.min(BRUSH_SIZES.length - 1, at))] ?? brush());
    },
    toggleHidden: toggler(hidden, setHidden, (c, s) => c.setHidden(s)),
    toggleLocked: toggler(locked, setLocked, (c, s) => c.setLocked(s)),
    applyTo(c) {
      // The canvas goes back to select after a shape, and `[`/`]` resize its brush.
      // (Subscriptions end with the controller, which the workspace destroys.)
      c.on("toolChanged", ({ tool: t }) => t !== tool() && noteTool(t));
      c.on("brushRadius", ({ px }) => setBrushSignal(px));
      c.setTool(tool());
      if (category()) c.setCategory(category());
      c.setHidden(hidden());
      c.setLocked(locked());
      c.setKeypointTemplate(template());
      c.setBrushRadius(brush());
    },
  };
}
