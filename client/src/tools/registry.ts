import type { ToolName } from "../canvas/types.js";
import type { ToolOption } from "../kinds/KindView.js";
import { kindTool, kindTools } from "../kinds/registry.js";
import { selectTool } from "./selectTool.js";
import type { CursorStyle, Tool } from "./types.js";

/**
 * The canvas tools: `select`, plus the drawing tools the kind modules bring (`client/src/kinds/`).
 * States are opaque to the canvas, which only threads them through `transition`.
 */
export interface ToolEntry {
  readonly name: ToolName;
  readonly key: string;
  readonly label: string;
  /** SVG path (22×22 viewBox) of the rail icon. */
  readonly icon: string;
  readonly cursor: CursorStyle;
  readonly tool: Tool<unknown>;
  /** Canvas settings the tool uses (options strip). */
  readonly options?: readonly ToolOption[];
}

/** Whether a tool uses a canvas setting (keypoint template, brush size). */
export function toolUses(name: ToolName, option: ToolOption): boolean {
  return toolEntry(name)?.options?.includes(option) ?? false;
}

/** The select tool, which every canvas starts with. */
export const SELECT_TOOL: ToolEntry = {
  name: "select",
  key: "v",
  label: "Select / move",
  icon: "M5 3l12 7-5 1.5L9 17z",
  cursor: "default",
  tool: selectTool,
};

/** Every tool in rail order: select first, then the kinds' tools. */
export function allTools(): readonly ToolEntry[] {
  return [SELECT_TOOL, ...kindTools()];
}

/** A tool by name; undefined when no kind brings it. */
export function toolEntry(name: ToolName): ToolEntry | undefined {
  return name === "select" ? SELECT_TOOL : kindTool(name);
}
