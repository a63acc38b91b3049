/**
 * @tessera/shared-crdt — the model, pure: schema (one definition per Pixano table), validators,
 * `info.json` manifests, the explorer filter grammar, geometry, record documents and the workflow.
 * Each area's own index lists its exports by name.
 */
export * from "./schema/index.js";
export * from "./kinds/index.js";
export * from "./query/filter.js";
export * from "./doc/index.js";
export * from "./geometry/index.js";
export * as schema from "./schema/index.js";
export * from "./protocol/index.js";
export { initials, PEOPLE_PALETTE, userColor } from "./people.js";
export { mulberry32, Prng } from "./random.js";
