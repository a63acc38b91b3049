import { For } from "solid-js";
import type { ToolName } from "../../canvas/types.js";
import { allTools } from "../../tools/registry.js";

/**
 * The tool rail: one button per tool (select, then each kind's tools from `client/src/kinds/`),
 * its key in the corner and in the tooltip.
 */
export function ToolRail(props: {
  tool: ToolName;
  editable: boolean;
  onTool: (t: ToolName) => void;
  onHelp: () => void;
}) {
  return (
    <nav class="rail" aria-label="Tools">
      <For each={allTools()}>
        {(t) => (
          <button
            class={props.tool === t.name ? "on" : ""}
            disabled={!props.editable && t.name !== "select"}
            title={`${t.label} (${t.key.toUpperCase()})`}
            aria-label={`${t.label} (${t.key.toUpperCase()})`}
            aria-pressed={props.tool === t.name}
            data-tool={t.name}
            onClick={() => props.onTool(t.name)}
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
              <path d={t.icon} />
            </svg>
            <span class="key">{t.key.toUpperCase()}</span>
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
