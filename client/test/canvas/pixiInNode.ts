/**
 * Lets pixi.js load under vitest's node environment for tests of scene bookkeeping (containers
 * and Graphics, never a renderer): Pixi reads `navigator` when its modules load. Import first.
 */
const g = globalThis as unknown as { navigator?: unknown };
g.navigator ??= { userAgent: "node", gpu: undefined };
export {};
