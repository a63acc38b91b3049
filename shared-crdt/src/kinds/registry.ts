import { BUILTIN_KINDS } from "./builtins.js";
import { isEntityAttached, type AnnotationKind } from "./types.js";

/** What the tracklet operations (split, glue, keyframes) read and write on every per-frame kind. */
const PER_FRAME_COLUMNS = ["tracklet_id", "frame_index"] as const;

/**
 * The annotation-kind registry. Built-in kinds are always there; other kinds (test-only kinds,
 * a deployment's own kind) are added with {@link registerAnnotationKind} before anything reads the
 * registry. The first read freezes it — every derived table (TABLES, COMPONENT_TABLES, the
 * reference table, slots, REST resources, grammars) is computed once from that frozen list — so a
 * registration after it would leave them inconsistent and throws instead.
 *
 * This module imports no derived module (only the kind declarations), so a setup module can
 * import it and register before the first import of `@tessera/shared-crdt`.
 */
export class KindRegistryError extends Error {
  constructor(
    readonly reason: "frozen" | "duplicate" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "KindRegistryError";
  }
}

/** Table names that are not annotation kinds and may not be taken by one. */
const RESERVED_TABLES = new Set([
  "records",
  "images",
  "sequence_frames",
  "videos",
  "texts",
  "pdfs",
  "point_clouds",
  "entities",
  "entity_dynamic_states",
  "embeddings",
]);
const RESERVED_SLOTS = new Set(["record", "entity", "entity_dynamic_state", "views", "timeseries"]);
const IDENT = /^[a-z][a-z0-9_]*$/;

const registered: AnnotationKind[] = [];
let frozen: readonly AnnotationKind[] | null = null;

function clash(kind: AnnotationKind, other: AnnotationKind): string | null {
  if (other.id === kind.id) return `id "${kind.id}"`;
  if (other.slot === kind.slot) return `slot "${kind.slot}"`;
  if (other.baseClass === kind.baseClass) return `base class "${kind.baseClass}"`;
  if (other.rest.resource === kind.rest.resource) return `resource "${kind.rest.resource}"`;
  if (other.rest.name === kind.rest.name) return `REST name "${kind.rest.name}"`;
  if (kind.io.v2 && other.io.v2?.key === kind.io.v2.key) return `v2 kind "${kind.io.v2.key}"`;
  const v1 = kind.io.v1 ? [kind.io.v1.key, ...kind.io.v1.aliases] : [];
  const otherV1 = other.io.v1 ? [other.io.v1.key, ...other.io.v1.aliases] : [];
  const shared = v1.find((k) => otherV1.includes(k));
  return shared === undefined ? null : `v1 key "${shared}"`;
}

/** Adds a kind; throws {@link KindRegistryError} once the registry was read, or on a clash. */
export function registerAnnotationKind(kind: AnnotationKind): void {
  if (frozen) {
    throw new KindRegistryError(
      "frozen",
      `annotation kind "${kind.id}" registered after the registry was read: register it before the first import of @tessera/shared-crdt`,
    );
  }
  if (kind.table !== kind.id || !IDENT.test(kind.id))
    throw new KindRegistryError("invalid", `annotation kind "${kind.id}": id must equal table and be snake_case`);
  if (RESERVED_TABLES.has(kind.id) || RESERVED_SLOTS.has(kind.slot))
    throw new KindRegistryError("invalid", `annotation kind "${kind.id}": table or slot is reserved`);
  const names = kind.columns.map((c) => c.name);
  if (new Set(names).size !== names.length || !names.includes("id") || !names.includes("record_id"))
    throw new KindRegistryError("invalid", `annotation kind "${kind.id}": columns need unique names, id and record_id`);
  if (isEntityAttached(kind) !== names.includes("entity_id"))
    throw new KindRegistryError(
      "invalid",
      `annotation kind "${kind.id}": an entity-attached kind has an entity_id column, and only it (entityAttached)`,
    );
  if (kind.perFrame && !PER_FRAME_COLUMNS.every((c) => names.includes(c)))
    throw new KindRegistryError(
      "invalid",
      `annotation kind "${kind.id}": a per-frame kind has the per-frame columns (${PER_FRAME_COLUMNS.join(", ")})`,
    );
  for (const other of [...BUILTIN_KINDS, ...registered]) {
    const what = clash(kind, other);
    if (what !== null)
      throw new KindRegistryError("duplicate", `annotation kind "${kind.id}": ${what} is taken by "${other.id}"`);
  }
  registered.push(kind);
}

/** Every kind, built-ins first; the first call freezes the registry. */
export function annotationKinds(): readonly AnnotationKind[] {
  frozen ??= Object.freeze([...BUILTIN_KINDS, ...registered]);
  return frozen;
}

/** Whether the registry was read (registrations are closed). */
export function isRegistryFrozen(): boolean {
  return frozen !== null;
}
