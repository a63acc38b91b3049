import type { AssignPerson, AssignRole } from "@tessera/shared-crdt/api";

/** The lines of a dataset's assignment log (`.tessera/assign/<dataset>.jsonl`), one event each. */
export type AssignEvent =
  | {
      readonly t: "assign";
      readonly role: AssignRole;
      readonly to: AssignPerson;
      readonly record_ids: readonly string[];
      readonly by: AssignPerson;
      readonly at: string;
    }
  | {
      readonly t: "unassign";
      /** Null: both sides. */
      readonly role: AssignRole | null;
      readonly record_ids: readonly string[];
      readonly by: AssignPerson;
      readonly at: string;
    }
  | { readonly t: "lock"; readonly locked: boolean; readonly by: AssignPerson; readonly at: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";

function person(v: unknown): AssignPerson | null {
  return isObj(v) && isStr(v.id) && isStr(v.name) ? { id: v.id, name: v.name } : null;
}

function ids(v: unknown): string[] | null {
  return Array.isArray(v) && v.every(isStr) ? v : null;
}

function role(v: unknown): AssignRole | null {
  return v === "annotator" || v === "reviewer" ? v : null;
}

/** One parsed line, or null when it is not an event this version wrote. */
export function parseAssignEvent(v: unknown): AssignEvent | null {
  if (!isObj(v)) return null;
  const by = person(v.by);
  if (!by || !isStr(v.at)) return null;
  switch (v.t) {
    case "assign": {
      const to = person(v.to);
      const r = role(v.role);
      const list = ids(v.record_ids);
      return to && r && list ? { t: "assign", role: r, to, record_ids: list, by, at: v.at } : null;
    }
    case "unassign": {
      const list = ids(v.record_ids);
      const r = v.role === null ? null : role(v.role);
      if (!list || (v.role !== null && r === null)) return null;
      return { t: "unassign", role: r, record_ids: list, by, at: v.at };
    }
    case "lock":
      return typeof v.locked === "boolean" ? { t: "lock", locked: v.locked, by, at: v.at } : null;
    default:
      return null;
  }
}
