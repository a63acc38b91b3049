import { createSignal, type Accessor } from "solid-js";
import type { ActivityEntry, LiveUser, Presence, StatusChange } from "@tessera/shared-crdt";
import type { Identity } from "../session.js";
import { LiveConnection, type LiveEvents } from "./LiveConnection.js";

/**
 * The app's one live connection: to the dataset open in the explorer or a workspace, kept while
 * moving between them and closed when leaving the dataset. Presence is exposed as a signal.
 */
export interface LiveStore {
  readonly conn: LiveConnection;
  readonly datasetId: string;
  readonly presence: Accessor<readonly Presence[]>;
  readonly connected: Accessor<boolean>;
}

let current: { store: LiveStore; key: string; stops: Array<() => void> } | null = null;
const statusListeners = new Set<(c: StatusChange) => void>();
const activityListeners = new Set<(a: ActivityEntry) => void>();
const reviewListeners = new Set<(e: LiveEvents["review"]) => void>();
const assignListeners = new Set<(e: LiveEvents["assign"]) => void>();
const jobListeners = new Set<(e: LiveEvents["job"]) => void>();
const followListeners = new Set<
  (e: { kind: "moved"; leader: LiveUser; recordId: string | null } | { kind: "ended"; leader: LiveUser }) => void
>();

export function liveFor(datasetId: string, identity: Identity): LiveStore {
  const key = `${datasetId}\u0000${identity.userId}\u0000${identity.name}\u0000${identity.role}`;
  if (current?.key === key) return current.store;
  closeLive();
  const conn = new LiveConnection(datasetId, identity);
  const [presence, setPresence] = createSignal<readonly Presence[]>([]);
  const [connected, setConnected] = createSignal(false);
  const stops = [
    conn.on("presence", setPresence),
    conn.on("connection", setConnected),
    conn.on("status", (c) => statusListeners.forEach((fn) => fn(c))),
    conn.on("activity", (a) => activityListeners.forEach((fn) => fn(a))),
    conn.on("review", (e) => reviewListeners.forEach((fn) => fn(e))),
    conn.on("assign", (e) => assignListeners.forEach((fn) => fn(e))),
    conn.on("job", (e) => jobListeners.forEach((fn) => fn(e))),
    conn.on("followMoved", (p) => followListeners.forEach((fn) => fn({ kind: "moved", ...p }))),
    conn.on("followEnded", (p) => followListeners.forEach((fn) => fn({ kind: "ended", ...p }))),
  ];
  const store: LiveStore = { conn, datasetId, presence, connected };
  current = { store, key, stops };
  return store;
}

export function currentLive(): LiveStore | null {
  return current?.store ?? null;
}

export function closeLive(): void {
  if (!current) return;
  for (const s of current.stops) s();
  current.store.conn.close();
  current = null;
}

export function onStatusChange(fn: (c: StatusChange) => void): () => void {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

export function onActivity(fn: (a: ActivityEntry) => void): () => void {
  activityListeners.add(fn);
  return () => activityListeners.delete(fn);
}

/** Review threads of the open dataset as they change (SPEC RV8). */
export function onReviewThread(fn: (e: LiveEvents["review"]) => void): () => void {
  reviewListeners.add(fn);
  return () => reviewListeners.delete(fn);
}

/** Assignments of the open dataset as they change (SPEC AS7). */
/** Pre-annotation jobs of the open dataset: created, progressed, ended. */
export function onJobProgress(fn: (e: LiveEvents["job"]) => void): () => void {
  jobListeners.add(fn);
  return () => jobListeners.delete(fn);
}

export function onAssignChange(fn: (e: LiveEvents["assign"]) => void): () => void {
  assignListeners.add(fn);
  return () => assignListeners.delete(fn);
}

export function onFollowEvent(
  fn: (e: { kind: "moved"; leader: LiveUser; recordId: string | null } | { kind: "ended"; leader: LiveUser }) => void,
): () => void {
  followListeners.add(fn);
  return () => followListeners.delete(fn);
}

/** People (one entry per user, not per tab) whose presence is on `recordId`. */
export function peopleOn(
  presence: readonly Presence[],
  recordId: string,
  exceptUserId?: string | null,
): Array<LiveUser & { readonly frame: number | null }> {
  const seen = new Map<string, LiveUser & { readonly frame: number | null }>();
  for (const p of presence)
    if (p.recordId === recordId && p.user.id !== exceptUserId && !seen.has(p.user.id))
      seen.set(p.user.id, { ...p.user, frame: p.frame });
  return [...seen.values()];
}
