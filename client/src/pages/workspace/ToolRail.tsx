import { For } from "solid-js";
import type { ToolName } from "../../canvas/types.js";
import { TOOL_LABELS, toolKey } from "../../app/keymap.js";

const TOOLS: readonly ToolName[] = ["select", "bbox", "polygon", "polyline", "keypoints", "brush", "eraser"];

const ICONS: Record<ToolName, string> = {
  select: "M5 3l12 7-5 1.5L9 17z",
  bbox: "M4 5h14v12H4z",
  polygon: "M6 4l11 3-2 10-10-2z",
  polyline: "M3 16l5-8 5 5 6-9",
  keypoints: "M11 4a2 2 0 110 .1M6 13a2 2 0 110 .1M16 13a2 2 0 110 .1M11 5l-5 8M11 5l5 8",
  brush: "M4 17c3 0 4-2 4-4l8-9 2 2-9 8c0 2-2 3-5 3z",
  eraser: "M4 14l7-8 6 6-5 5H8z M11 17h7",
};

/** The tool rail: one button per tool, its key in the corner and in the tooltip. */
export function ToolRail(props: {
  tool: ToolName;
  editable: boolean;
  onTool: (t: ToolName) => void;
  onHelp: () => void;
}) {
  return (
    <nav class="rail" aria-label="Tools">
      <For each={TOOLS}>
        {(t) => (
          <button
            class={props.tool === t ? "on" : ""}
            disabled={!props.editable && t !== "select"}
            title={`${TOOL_LABELS[t]} (${toolKey(t)})`}
            aria-label={`${TOOL_LABELS[t]} (${toolKey(t)})`}
            aria-pressed={props.tool === t}
            data-tool={t}
            onClick={() => props.onTool(t)}
          >
            <svg
              width="20"
              height="20"
              viewBox="0 0 22 22"
              fill="none"
              stroke="currentColor"
              stroke-width="1.6"
              stroke-linejoin="round"
              stroke-linecap="round"
            >
              <path d={ICONS[t]} />
            </svg>
            <span class="key">{toolKey(t)}</span>
          </button>
        )}
      </For>
      <span class="spacer" />
      <button title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts (?)" onClick={() => props.onHelp()}>
        ?
      </button>
    </nav>
  );
}
