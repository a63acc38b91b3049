import path from "node:path";
import type { AssignChange, Role } from "@tessera/shared-crdt";
import type { AssignLock, AssignPerson, AssignRole, Assignment } from "@tessera/shared-crdt/api";
import { DatasetLogs, type LoggedState } from "../review/datasetLogs.js";
import { systemClock, type Clock } from "../sync/clock.js";
import { parseAssignEvent, type AssignEvent } from "./events.js";

/** One share of an assign request: these records to this person on this side. */
export interface AssignShare {
  readonly role: AssignRole;
  readonly to: AssignPerson;
  readonly record_ids: readonly string[];
}

export interface AssignChangeEvent extends AssignChange {
  readonly datasetId: string;
}

interface AssignState {
  readonly records: Map<string, Assignment>;
  lock: AssignLock;
}
type DatasetState = AssignState & LoggedState<AssignEvent>;

const UNLOCKED: AssignLock = { locked: false, by: null, at: null };

/**
 * Assignments (SPEC AS1–AS8), per dataset, in `DATA_DIR/.tessera/assign/<dataset>.jsonl`: an append-only log of
 * events, each fsynced before the change is acknowledged or sent to anyone, replayed at the first use after a start.
 * Mutations of one dataset run one at a time.
 */
export class AssignStore {
  private readonly logs: DatasetLogs<AssignEvent, AssignState>;
  private readonly listeners = new Set<(e: AssignChangeEvent) => void>();

  constructor(
    dir: string,
    private readonly options: { clock?: Clock; shared?: boolean } = {},
  ) {
    this.logs = new DatasetLogs(
      dir,
      () => ({ records: new Map(), lock: UNLOCKED }),
      parseAssignEvent,
      (_datasetId, state, e) => void apply(state, e),
      { shared: options.shared ?? false },
    );
  }

  /** `DATA_DIR/.tessera/assign`. */
  static in(dataDir: string, options: { clock?: Clock; shared?: boolean } = {}): AssignStore {
    return new AssignStore(path.join(dataDir, ".tessera", "assign"), options);
  }

  /** Datasets whose assignments are held in memory (only those that have any). */
  get datasetsInMemory(): number {
    return this.logs.size;
  }

  onChange(fn: (e: AssignChangeEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private now(): string {
    return new Date((this.options.clock ?? systemClock).now()).toISOString();
  }

  private load(datasetId: string): Promise<DatasetState> {
    return this.logs.load(datasetId);
  }

  /**
   * The state of a dataset that has assignments (a log on disk or changes made here), or null: asked on every sync
   * upgrade, before the dataset is known to exist, so a name alone never creates state (memory stays bounded by
   * the datasets that have assignments).
   */
  private async peek(datasetId: string): Promise<DatasetState | null> {
    if (this.logs.has(datasetId) || (await this.logs.exists(datasetId))) return this.load(datasetId);
    return null;
  }

  private serial<T>(datasetId: string, fn: (s: DatasetState) => Promise<T>): Promise<T> {
    return this.logs.serial(datasetId, fn);
  }

  /** Every assigned record of the dataset, in record id order, and the lock. */
  async list(datasetId: string): Promise<{ items: Assignment[]; lock: AssignLock }> {
    const s = await this.load(datasetId);
    const items = [...s.records.values()].sort((a, b) => cmp(a.record_id, b.record_id));
    return { items, lock: s.lock };
  }

  async get(datasetId: string, recordId: string): Promise<Assignment | null> {
    return (await this.load(datasetId)).records.get(recordId) ?? null;
  }

  async lock(datasetId: string): Promise<AssignLock> {
    return (await this.load(datasetId)).lock;
  }

  /** AS2: every share in ONE append (all or nothing); returns how many record-sides changed. */
  async assign(datasetId: string, shares: readonly AssignShare[], by: AssignPerson): Promise<number> {
    return this.serial(datasetId, async (s) => {
      const at = this.now();
      const events: AssignEvent[] = shares
        .filter((sh) => sh.record_ids.length > 0)
        .map((sh) => ({ t: "assign", role: sh.role, to: sh.to, record_ids: [...sh.record_ids], by, at }));
      if (events.length === 0) return 0;
      await s.log.append(events);
      let changed = 0;
      for (const e of events) changed += apply(s, e);
      const ids = [...new Set(events.flatMap((e) => (e.t === "assign" ? e.record_ids : [])))];
      this.emit({ datasetId, change: "assigned", record_ids: ids, by });
      return changed;
    });
  }

  /** AS2: clears one side (or both) of these records; records with nothing left are no longer assigned. */
  async unassign(
    datasetId: string,
    recordIds: readonly string[],
    role: AssignRole | null,
    by: AssignPerson,
  ): Promise<number> {
    return this.serial(datasetId, async (s) => {
      const touched = recordIds.filter((id) => {
        const a = s.records.get(id);
        return a !== undefined && (role === null || a[role] !== null);
      });
      if (touched.length === 0) return 0;
      const event: AssignEvent = { t: "unassign", role, record_ids: touched, by, at: this.now() };
      await s.log.append([event]);
      const changed = apply(s, event);
      this.emit({ datasetId, change: "unassigned", record_ids: touched, by });
      return changed;
    });
  }

  /** AS6: the same value again writes nothing. */
  async setLock(datasetId: string, locked: boolean, by: AssignPerson): Promise<AssignLock> {
    return this.serial(datasetId, async (s) => {
      if (s.lock.locked === locked) return s.lock;
      const event: AssignEvent = { t: "lock", locked, by, at: this.now() };
      await s.log.append([event]);
      apply(s, event);
      this.emit({ datasetId, change: locked ? "locked" : "unlocked", record_ids: [], by });
      return s.lock;
    });
  }

  /**
   * AS6: whether `who` may edit the record as far as assignments go. Unlocked: anyone (the workflow rules still
   * apply). Locked: reviewers and admins, the record's annotator, and anyone on a record without an annotator.
   * Null when allowed; else the reason, in people's terms.
   */
  async editRefusal(
    datasetId: string,
    recordId: string,
    who: { readonly id: string; readonly role: Role },
  ): Promise<string | null> {
    if (who.role === "reviewer" || who.role === "admin") return null;
    const s = await this.peek(datasetId);
    if (s === null || !s.lock.locked) return null;
    const annotator = s.records.get(recordId)?.annotator ?? null;
    if (annotator === null || annotator.id === who.id) return null;
    return `Assignment is locked: record '${recordId}' is assigned to ${annotator.name}.`;
  }

  private emit(e: AssignChangeEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Applies one event; how many record-sides it changed. */
function apply(s: DatasetState, e: AssignEvent): number {
  switch (e.t) {
    case "assign": {
      let n = 0;
      for (const id of e.record_ids) {
        const prev = s.records.get(id);
        if (prev?.[e.role]?.id === e.to.id) continue;
        s.records.set(id, {
          record_id: id,
          annotator: prev?.annotator ?? null,
          reviewer: prev?.reviewer ?? null,
          [e.role]: e.to,
          assigned_by: e.by,
          assigned_at: e.at,
        });
        n++;
      }
      return n;
    }
    case "unassign": {
      let n = 0;
      for (const id of e.record_ids) {
        const prev = s.records.get(id);
        if (!prev) continue;
        const next: Assignment = {
          ...prev,
          annotator: e.role === "reviewer" ? prev.annotator : null,
          reviewer: e.role === "annotator" ? prev.reviewer : null,
          assigned_by: e.by,
          assigned_at: e.at,
        };
        n +=
          (prev.annotator !== null && next.annotator === null ? 1 : 0) +
          (prev.reviewer !== null && next.reviewer === null ? 1 : 0);
        if (next.annotator === null && next.reviewer === null) s.records.delete(id);
        else s.records.set(id, next);
      }
      return n;
    }
    case "lock":
      s.lock = { locked: e.locked, by: e.by, at: e.at };
      return 0;
  }
}
