import type { ActivityEntry } from "@tessera/shared-crdt";
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
  const parts: string[] = [];
  let added = 0;
  let updated = 0;
  let removed = 0;
  for (const c of Object.values(a.tables ?? {})) {
    added += c.added;
    updated += c.updated;
    removed += c.removed;
  }
  if (added) parts.push(`added ${added}`);
  if (updated) parts.push(`changed ${updated}`);
  if (removed) parts.push(`removed ${removed}`);
  return parts.length > 0
    ? `${parts.join(", ")} row${added + updated + removed === 1 ? "" : "s"}`
    : "edited the record";
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
