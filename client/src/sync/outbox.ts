import { createSignal } from "solid-js";
import { openOutboxStore, type OutboxEntry, type OutboxKey, type OutboxStore } from "./outboxStore.js";

/**
 * The durable local outbox: every local edit of a record is written here (IndexedDB) the moment it
 * is made, and removed only once the server confirmed the frame that carried it. Opening a record,
 * starting the app, coming back online and signing in again replay what is left (Yjs updates are
 * idempotent, so sending one twice is harmless). {@link queuedCounts} tells the UI how many edits
 * each record still has queued, across the tabs of this browser.
 */
let store: Promise<OutboxStore> | null = null;
function db(): Promise<OutboxStore> {
  store ??= openOutboxStore();
  return store;
}

const recordKey = (dataset: string, record: string) => `${dataset}\u0000${record}`;

const [counts, setCounts] = createSignal<ReadonlyMap<string, number>>(new Map());
let countsUser: string | null = null;
/** Entries of `countsUser` by id → record key (to keep the counts without re-reading the store). */
const known = new Map<string, string>();

function publish(): void {
  const next = new Map<string, number>();
  for (const k of known.values()) next.set(k, (next.get(k) ?? 0) + 1);
  setCounts(next);
}

/** Queued (not yet durable) edits of a record, for the signed-in user of {@link watchUser}. */
export function queuedCount(dataset: string, record: string): number {
  return counts().get(recordKey(dataset, record)) ?? 0;
}

/** Every record with queued edits and how many, for the user of {@link watchUser}. */
export function queuedCounts(): ReadonlyMap<string, number> {
  return counts();
}

export function splitRecordKey(key: string): { dataset: string; record: string } {
  const i = key.indexOf("\u0000");
  return { dataset: key.slice(0, i), record: key.slice(i + 1) };
}

const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("tessera-outbox");
channel?.addEventListener("message", () => void reloadCounts());

function told(): void {
  channel?.postMessage("changed");
}

async function reloadCounts(): Promise<void> {
  const user = countsUser;
  if (user === null) return;
  const entries = await (await db()).listUser(user);
  if (user !== countsUser) return;
  known.clear();
  for (const e of entries) known.set(e.id, recordKey(e.dataset, e.record));
  publish();
}

/** Whose queued edits the counts describe (the signed-in user); null clears them. */
export async function watchUser(user: string | null): Promise<void> {
  if (user === countsUser) return;
  countsUser = user;
  known.clear();
  publish();
  await reloadCounts();
}

/** Writes one local edit; resolves once it is on disk. */
export async function enqueue(entry: OutboxEntry): Promise<void> {
  if (entry.user === countsUser) {
    known.set(entry.id, recordKey(entry.dataset, entry.record));
    publish();
  }
  await (await db()).put(entry);
  told();
}

/** Forgets edits the server confirmed durable. */
export async function forget(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  let changed = false;
  for (const id of ids) changed = known.delete(id) || changed;
  if (changed) publish();
  await (await db()).remove(ids);
  told();
}

/** A record's queued edits, oldest first. */
export async function queuedEntries(key: OutboxKey): Promise<OutboxEntry[]> {
  return (await db()).list(key);
}

/** Every queued edit of a user, oldest first. */
export async function queuedEntriesOf(user: string): Promise<OutboxEntry[]> {
  return (await db()).listUser(user);
}
