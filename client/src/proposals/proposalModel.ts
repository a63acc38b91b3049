import { createMemo, createSignal, onCleanup, type Accessor } from "solid-js";
import * as Y from "yjs";
import {
  acceptProposal,
  bulkAccept,
  isProposal,
  PROPOSAL_TABLES,
  proposalScore,
  rejectProposal,
  reviewStatusOf,
  rowOfMap,
  tableMap,
  type ComponentTable,
  type Origin,
  type ReviewStatus,
} from "@tessera/shared-crdt";

/**
 * The model proposals of the open record, as the workspace shows them (SPEC D-PROPOSAL): their
 * source, score and review status, the person's score threshold (kept in this browser, per dataset:
 * not shared), which entities the canvas draws as proposals (dashed, dimmed) and which it hides
 * (pending proposals below the threshold, rejected ones), and the review actions.
 */
export interface ProposalItem {
  readonly table: ComponentTable;
  readonly id: string;
  readonly entityId: string;
  readonly sourceName: string;
  readonly score: number | null;
  readonly status: ReviewStatus;
  /** Hidden by the threshold (a pending proposal scored below it) or rejected. */
  readonly filtered: boolean;
}

export interface ProposalModel {
  /** Every proposal of the record, by table then id. */
  readonly all: Accessor<readonly ProposalItem[]>;
  /** The proposals the list shows: not below the threshold (rejected ones stay listed). */
  readonly listed: Accessor<readonly ProposalItem[]>;
  readonly threshold: Accessor<number>;
  setThreshold(value: number): void;
  /** Per entity, its proposals (the object list's chip). */
  readonly byEntity: Accessor<ReadonlyMap<string, readonly ProposalItem[]>>;
  /** Entities drawn as pending proposals. */
  readonly pendingEntities: Accessor<ReadonlySet<string>>;
  /** Entities whose every annotation is a filtered proposal: hidden on the canvas and in the object list. */
  readonly filteredEntities: Accessor<ReadonlySet<string>>;
  accept(p: Pick<ProposalItem, "table" | "id">): void;
  reject(p: Pick<ProposalItem, "table" | "id">): void;
  /** Accepts every pending proposal at or above the threshold (one undo step); returns how many. */
  acceptAboveThreshold(): number;
  /** The pending, shown proposal after (or before, `step` −1) the given one, wrapping; null when none. */
  neighbour(from: Pick<ProposalItem, "table" | "id"> | null, step: 1 | -1): ProposalItem | null;
}

const storageKey = (datasetId: string) => `tessera.proposalThreshold.${datasetId}`;

function storedThreshold(datasetId: string): number {
  try {
    const v = Number(localStorage.getItem(storageKey(datasetId)) ?? "0");
    return Number.isFinite(v) && v >= 0 && v <= 1 ? v : 0;
  } catch (err) {
    console.warn("tessera: cannot read the proposal threshold", err);
    return 0;
  }
}

export function createProposalModel(o: { doc: Y.Doc; origin: Origin; datasetId: string }): ProposalModel {
  const { doc } = o;
  const [version, setVersion] = createSignal(0);
  const bump = (tx: Y.Transaction) => {
    for (const t of tx.changedParentTypes.keys()) {
      if (t.doc === doc) {
        setVersion((v) => v + 1);
        return;
      }
    }
  };
  doc.on("afterTransaction", bump);
  onCleanup(() => doc.off("afterTransaction", bump));

  const [threshold, setThresholdSignal] = createSignal(storedThreshold(o.datasetId));

  /** One pass over the annotation tables: the proposals, and the entities that also have human work. */
  const scan = createMemo(() => {
    version();
    const t = threshold();
    const items: ProposalItem[] = [];
    const withOtherWork = new Set<string>();
    for (const table of PROPOSAL_TABLES) {
      const rows: ProposalItem[] = [];
      for (const [id, m] of tableMap(doc, table)) {
        if (!(m instanceof Y.Map)) continue;
        const row = rowOfMap(m, table);
        const entityId = typeof row.entity_id === "string" ? row.entity_id : "";
        if (!isProposal(row)) {
          if (entityId) withOtherWork.add(entityId);
          continue;
        }
        const score = proposalScore(row);
        const status = reviewStatusOf(row);
        const below = status === "pending" && score !== null && score < t;
        rows.push({
          table,
          id,
          entityId,
          sourceName: typeof row.source_name === "string" ? row.source_name : "",
          score,
          status,
          filtered: below || status === "rejected",
        });
      }
      items.push(...rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    }
    return { items, withOtherWork };
  });

  const all = createMemo(() => scan().items);
  const byEntity = createMemo(() => {
    const out = new Map<string, ProposalItem[]>();
    for (const p of all()) {
      if (!p.entityId) continue;
      const list = out.get(p.entityId);
      if (list) list.push(p);
      else out.set(p.entityId, [p]);
    }
    return out;
  });
  const pendingEntities = createMemo(
    () =>
      new Set(
        all()
          .filter((p) => p.status === "pending" && !p.filtered && p.entityId)
          .map((p) => p.entityId),
      ),
  );
  const filteredEntities = createMemo(() => {
    const { withOtherWork } = scan();
    const out = new Set<string>();
    for (const [entityId, list] of byEntity())
      if (!withOtherWork.has(entityId) && list.every((p) => p.filtered)) out.add(entityId);
    return out;
  });
  const listed = createMemo(() => all().filter((p) => !p.filtered || p.status === "rejected"));

  return {
    all,
    listed,
    threshold,
    setThreshold(value) {
      const v = Math.min(1, Math.max(0, Math.round(value * 100) / 100));
      setThresholdSignal(v);
      try {
        localStorage.setItem(storageKey(o.datasetId), String(v));
      } catch (err) {
        console.warn("tessera: cannot remember the proposal threshold", err);
      }
    },
    byEntity,
    pendingEntities,
    filteredEntities,
    accept: (p) => acceptProposal(doc, o.origin, p.table, p.id),
    reject: (p) => rejectProposal(doc, o.origin, p.table, p.id),
    acceptAboveThreshold: () => bulkAccept(doc, o.origin, threshold()),
    neighbour(from, step) {
      const list = all();
      const candidates = list.filter((p) => p.status === "pending" && !p.filtered);
      if (candidates.length === 0) return null;
      const at = from ? list.findIndex((p) => p.table === from.table && p.id === from.id) : -1;
      if (at < 0) return step === 1 ? (candidates[0] ?? null) : (candidates[candidates.length - 1] ?? null);
      for (let i = 1; i <= list.length; i++) {
        const p = list[(at + step * i + list.length * 2) % list.length];
        if (p && p.status === "pending" && !p.filtered) return p;
      }
      return null;
    },
  };
}
