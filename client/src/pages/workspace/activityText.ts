import type { ActivityEntry } from "@tessera/shared-crdt";
import { kindLabel } from "../../kinds/registry.js";
import { statusLabel } from "../../ui/StatusChip.js";

/** One line of the activity feed in words. */
export function activityText(a: ActivityEntry): string {
  if (a.kind === "status" && a.status) {
    const s = a.status;
    const verb = {
      submit: "submitted for review",
      approve: "approved",
      reject: "rejected",
      reopen: "reopened",
      edit: "started",
      set: "set the status",
    }[s.action];
    return `${verb} (${statusLabel(s.from)} → ${statusLabel(s.to)})${s.comment ? `: “${s.comment}”` : ""}`;
  }
  if (a.kind === "review" && a.review) {
    // SPEC RV8: a review thread opened, answered, resolved or reopened.
    const r = a.review;
    const said = r.text ? `: “${r.text}”` : "";
    if (r.change === "opened") return `commented${r.pinned ? " on an object" : ""}${said}`;
    if (r.change === "replied") return `replied${said}`;
    return `${r.change} a review thread`;
  }
  return editText(a.tables ?? {});
}

/** What the rows of a table are called in the feed: the kind's own word ("box", "mask"…), else these. */
const OTHER_NOUNS: Readonly<Record<string, string>> = {
  entities: "object",
  messages: "message",
  entity_dynamic_states: "frame state",
  records: "record field",
};

function nounOf(table: string): string {
  return kindLabel(table) ?? OTHER_NOUNS[table] ?? table.replace(/_/g, " ");
}

/** "1 box", "2 boxes", "3 classes", "4 keypoints" (already plural), "5 masks". */
function counted(n: number, noun: string): string {
  if (n === 1) return `1 ${noun}`;
  if (/(x|ss|sh|ch)$/.test(noun)) return `${n} ${noun}es`;
  if (noun.endsWith("s")) return `${n} ${noun}`;
  return `${n} ${noun}s`;
}

/**
 * An edit batch in people's terms: "added 2 objects and 2 boxes, changed 1 mask, removed 1 polygon" —
 * per verb, the tables in the order the batch listed them. A batch that only changed the record's own
 * fields says so.
 */
function editText(tables: Readonly<Record<string, { added: number; updated: number; removed: number }>>): string {
  const phrase = (verb: string, pick: (c: { added: number; updated: number; removed: number }) => number) => {
    const items = Object.entries(tables)
      .filter(([, c]) => pick(c) > 0)
      .map(([t, c]) => counted(pick(c), nounOf(t)));
    if (items.length === 0) return null;
    const last = items.pop() as string;
    return `${verb} ${items.length > 0 ? `${items.join(", ")} and ${last}` : last}`;
  };
  const onlyRecord = Object.keys(tables).every((t) => t === "records");
  if (onlyRecord && Object.keys(tables).length > 0) return "edited the record's fields";
  const parts = [
    phrase("added", (c) => c.added),
    phrase("changed", (c) => c.updated),
    phrase("removed", (c) => c.removed),
  ].filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(", ") : "edited the record";
}

export function timeAgo(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}
