/** Pure tool state machines: `transition(state, event, ctx) → { state, effects }`. */
export * from "./types.js";
export * from "./geometry.js";
