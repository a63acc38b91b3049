import type { ComponentTable, Row } from "@tessera/shared-crdt";
import type { ToolName } from "../canvas/types.js";
import type { ViewTile } from "../canvas/scene/layout.js";
import type { ViewSizeOf } from "../tools/shapes.js";
import type { Shape } from "../tools/types.js";
import type { Bounds, KindListing, KindTool, KindView, ShapeGeometry } from "./KindView.js";
import { PREVIEW_GEOMETRY } from "./previews.js";

/**
 * The client's kind views, found without a list: every `./*.kind.ts` module exporting `kindView`
 * (a drawn kind) or `kindListing` (a kind only listed in the object list). Vite resolves the glob
 * at build time and vitest does the same, so adding a kind is adding its module. Tests add kinds
 * of their own with {@link registerKindView}. Lookups are built on first use (and again after a
 * registration), never while modules are still being evaluated.
 */
interface KindModule {
  readonly kindView?: KindView;
  readonly kindListing?: KindListing;
}

const MODULES: Readonly<Record<string, KindModule>> = import.meta.glob<KindModule>("./*.kind.ts", { eager: true });

interface Registry {
  readonly kinds: readonly KindView[];
  readonly tables: readonly ComponentTable[];
  readonly byTable: ReadonlyMap<string, KindView>;
  readonly byShape: ReadonlyMap<string, ShapeGeometry>;
  readonly kindByShape: ReadonlyMap<string, KindView>;
  readonly labels: ReadonlyMap<string, string>;
  readonly tools: ReadonlyMap<string, KindTool>;
}

/** Two kinds claim one table, shape kind or tool name: a programming error, found at start-up. */
export class DuplicateKindError extends Error {
  override readonly name = "DuplicateKindError";
}

const registered: KindView[] = [];
let built: Registry | null = null;

function build(): Registry {
  const kinds = [...registered];
  const listings: KindListing[] = [];
  for (const m of Object.values(MODULES)) {
    if (m.kindView) kinds.push(m.kindView);
    if (m.kindListing) listings.push(m.kindListing);
  }
  kinds.sort((a, b) => a.order - b.order || a.table.localeCompare(b.table));
  const byTable = new Map<string, KindView>();
  const byShape = new Map<string, ShapeGeometry>();
  const kindByShape = new Map<string, KindView>();
  const tools = new Map<string, KindTool>();
  const labels = new Map<string, string>();
  for (const g of PREVIEW_GEOMETRY) byShape.set(g.shape, g);
  for (const k of kinds) {
    if (byTable.has(k.table)) throw new DuplicateKindError(`two kind views for table ${k.table}`);
    if (byShape.has(k.shape)) throw new DuplicateKindError(`two geometries for shape kind ${k.shape}`);
    byTable.set(k.table, k);
    byShape.set(k.shape, k);
    kindByShape.set(k.shape, k);
    labels.set(k.table, k.label);
    for (const t of k.tools) {
      if (t.name === "select" || tools.has(t.name)) throw new DuplicateKindError(`two tools named ${t.name}`);
      tools.set(t.name, t);
    }
  }
  for (const l of listings) if (!labels.has(l.table)) labels.set(l.table, l.label);
  return { kinds, tables: kinds.map((k) => k.table), byTable, byShape, kindByShape, labels, tools };
}

function registry(): Registry {
  return (built ??= build());
}

/**
 * Adds a kind view (tests' own kinds); returns its removal. Throws when its table, shape kind or a
 * tool name is already taken.
 */
export function registerKindView(view: KindView): () => void {
  registered.push(view);
  built = null;
  try {
    registry();
  } catch (e) {
    registered.splice(registered.indexOf(view), 1);
    built = null;
    throw e;
  }
  return () => {
    const i = registered.indexOf(view);
    if (i >= 0) registered.splice(i, 1);
    built = null;
  };
}

const warned = new Set<string>();

/** Logs once per unknown kind, so a row of a kind this client does not know costs one line, not a crash per frame. */
function warnUnknown(what: string): void {
  if (warned.has(what)) return;
  warned.add(what);
  console.warn(`canvas: no kind view for ${what}; not drawn`);
}

/** Every drawn kind, in tool-rail order. */
export function kindViews(): readonly KindView[] {
  return registry().kinds;
}

/** The tables the canvas draws. */
export function shapeTables(): readonly ComponentTable[] {
  return registry().tables;
}

/** Whether the canvas draws a table. */
export function isShapeTable(table: string): table is ComponentTable {
  return registry().byTable.has(table);
}

/** The kind view of a table; undefined (logged once) when none is registered. */
export function kindOfTable(table: string): KindView | undefined {
  const k = registry().byTable.get(table);
  if (!k) warnUnknown(`table ${table}`);
  return k;
}

/** The kind view that drew a shape; undefined for previews, and (logged once) for an unknown kind. */
export function kindOfShape(shape: Shape): KindView | undefined {
  const r = registry();
  const k = r.kindByShape.get(shape.kind);
  if (!k && !r.byShape.has(shape.kind)) warnUnknown(`shape ${shape.kind}`);
  return k;
}

/** The geometry of any shape (kinds and previews); undefined (logged once) for an unknown kind. */
export function geometryOf(shape: Shape): ShapeGeometry | undefined {
  const g = registry().byShape.get(shape.kind);
  if (!g) warnUnknown(`shape ${shape.kind}`);
  return g;
}

/** The shape a row of `table` draws, or null (undrawable row, or no kind view for the table). */
export function shapeOfRow(table: string, row: Row, sizeOf: ViewSizeOf): Shape | null {
  return kindOfTable(table)?.shapeOfRow(row, sizeOf) ?? null;
}

/** Axis-aligned bounds `[minX, minY, maxX, maxY]` of a shape, normalised (zeros for an unknown kind). */
export function shapeBounds(shape: Shape): Bounds {
  return geometryOf(shape)?.bounds(shape) ?? [0, 0, 0, 0];
}

/**
 * Exact hit test of one shape against a world point, with a tolerance in world units (screen
 * pixels / zoom), by the shape's kind. Returns the score used to pick among overlapping
 * candidates — the covered area in world px² (smaller wins, so a box inside another stays
 * clickable; lines score 0) — or -1 when the point misses or the kind is unknown.
 * `cached(decode)` memoises what a kind decodes to hit-test (a mask's runs) with the scene item.
 */
export function hitScore(
  shape: Shape,
  tile: ViewTile,
  wx: number,
  wy: number,
  tol: number,
  cached: (decode: () => readonly number[] | null) => readonly number[] | null,
): number {
  return geometryOf(shape)?.hitScore(shape, tile, wx, wy, tol, cached) ?? -1;
}

/** Every drawing tool the kinds bring, in rail order. */
export function kindTools(): readonly KindTool[] {
  return [...registry().tools.values()];
}

/** A kind's drawing tool by name. */
export function kindTool(name: ToolName): KindTool | undefined {
  return registry().tools.get(name);
}

/** The object-list label of a table's kind (of one of its rows, when given), or undefined. */
export function kindLabel(table: string, row?: Row): string | undefined {
  const byRow = row ? registry().byTable.get(table)?.labelOfRow : undefined;
  return byRow && row ? byRow(row) : registry().labels.get(table);
}
