import * as Y from "yjs";
import {
  ENTITY_ANNOTATION_TABLES,
  observeRecordChanges,
  tableMap,
  type ComponentTable,
  type DocChanges,
} from "@tessera/shared-crdt";

/**
 * The Objects panel's view of a record document: each entity with its label and annotations, and
 * the Yjs client that last touched it. Kept up to date from document change events (one
 * transaction at a time, touching only the rows it changed), so a record with thousands of
 * annotations never rebuilds from scratch. Framework-free; the panel reads {@link items}.
 */
export interface AnnotationRef {
  readonly table: ComponentTable;
  readonly id: string;
}

export interface EntityItem {
  readonly id: string;
  /** The label field's value ("" when unset). */
  readonly label: string;
  readonly annotations: readonly AnnotationRef[];
  /** Yjs client id of the last edit seen (this session), null when unknown. */
  readonly lastEditor: number | null;
}

/** The annotation tables whose rows belong to one entity (the kinds' `entityAttached`). */
const WITH_ENTITY: ReadonlySet<ComponentTable> = new Set(ENTITY_ANNOTATION_TABLES);

function rowMap(doc: Y.Doc, table: ComponentTable, id: string): Y.Map<unknown> | null {
  const m = tableMap(doc, table).get(id);
  return m instanceof Y.Map ? m : null;
}

/** The client that wrote a row (added) or the fields that changed (updated). */
function authorOf(m: Y.Map<unknown>, fields: Iterable<string>): number | null {
  let author: number | null = null;
  for (const f of fields) {
    const item = m._map.get(f);
    if (item) author = item.id.client;
  }
  return author ?? m._item?.id.client ?? null;
}

export class EntityIndex {
  private readonly entities = new Map<string, EntityItem>();
  /** annotation key `table/id` → entity id. */
  private readonly owner = new Map<string, string>();
  private cached: EntityItem[] | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly stop: () => void;
  version = 0;

  constructor(
    private readonly doc: Y.Doc,
    private readonly labelField: string | null,
  ) {
    for (const id of tableMap(doc, "entities").keys()) this.upsertEntity(id, null);
    for (const table of WITH_ENTITY)
      for (const id of tableMap(doc, table).keys()) this.placeAnnotation(table, id, null);
    this.stop = observeRecordChanges(doc, (changes) => this.apply(changes));
  }

  private labelOf(m: Y.Map<unknown> | null): string {
    if (!m || !this.labelField) return "";
    const v = m.get(this.labelField);
    return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
  }

  private upsertEntity(id: string, author: number | null): void {
    const m = rowMap(this.doc, "entities", id);
    const prev = this.entities.get(id);
    this.entities.set(id, {
      id,
      label: this.labelOf(m),
      annotations: prev?.annotations ?? [],
      lastEditor: author ?? prev?.lastEditor ?? null,
    });
  }

  private touch(entityId: string, author: number | null): void {
    const e = this.entities.get(entityId);
    if (e && author !== null && e.lastEditor !== author) this.entities.set(entityId, { ...e, lastEditor: author });
  }

  private unplace(table: ComponentTable, id: string): void {
    const key = `${table}/${id}`;
    const entityId = this.owner.get(key);
    if (entityId === undefined) return;
    this.owner.delete(key);
    const e = this.entities.get(entityId);
    if (e)
      this.entities.set(entityId, {
        ...e,
        annotations: e.annotations.filter((a) => !(a.table === table && a.id === id)),
      });
  }

  private placeAnnotation(table: ComponentTable, id: string, author: number | null): void {
    const m = rowMap(this.doc, table, id);
    const entityId = m?.get("entity_id");
    const key = `${table}/${id}`;
    if (this.owner.get(key) === entityId) {
      if (typeof entityId === "string") this.touch(entityId, author);
      return;
    }
    this.unplace(table, id);
    if (typeof entityId !== "string" || entityId === "") return;
    if (!this.entities.has(entityId)) this.upsertEntity(entityId, null);
    const e = this.entities.get(entityId);
    if (!e) return;
    this.owner.set(key, entityId);
    this.entities.set(entityId, {
      ...e,
      annotations: [...e.annotations, { table, id }],
      lastEditor: author ?? e.lastEditor,
    });
  }

  private apply(changes: DocChanges): void {
    let changed = false;
    const ents = changes.tables.get("entities");
    if (ents) {
      for (const [id, c] of ents) {
        changed = true;
        if (c.kind === "removed") {
          // Its annotations are removed in the same transaction (cascade); forget the entity now.
          this.entities.delete(id);
          continue;
        }
        const m = rowMap(this.doc, "entities", id);
        this.upsertEntity(id, m ? authorOf(m, c.kind === "added" ? [] : c.before.keys()) : null);
      }
    }
    for (const [table, rows] of changes.tables) {
      if (!WITH_ENTITY.has(table)) continue;
      for (const [id, c] of rows) {
        changed = true;
        if (c.kind === "removed") {
          this.unplace(table, id);
          continue;
        }
        const m = rowMap(this.doc, table, id);
        this.placeAnnotation(table, id, m ? authorOf(m, c.kind === "added" ? [] : c.before.keys()) : null);
      }
    }
    if (!changed) return;
    this.cached = null;
    this.version++;
    for (const fn of this.listeners) fn();
  }

  /**
   * Entities by id: the same order for everyone and after a reload (the order rows reach a
   * document differs between replicas, and an undone deletion would come back last).
   */
  items(): readonly EntityItem[] {
    this.cached ??= [...this.entities.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.cached;
  }

  get(entityId: string): EntityItem | undefined {
    return this.entities.get(entityId);
  }

  entityOf(ref: AnnotationRef): string | undefined {
    return ref.table === "entities" ? ref.id : this.owner.get(`${ref.table}/${ref.id}`);
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  destroy(): void {
    this.stop();
    this.listeners.clear();
  }
}
