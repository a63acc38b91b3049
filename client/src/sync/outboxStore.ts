/**
 * Where the outbox lives: IndexedDB (`tessera-outbox`, store `updates`), one row per local Yjs
 * update not yet confirmed durable by the server, so queued edits survive navigation, reloads and
 * crashed tabs. Rows are read back through {@link parseEntry}: IndexedDB is shared with whatever
 * else ran on this origin, so its content is checked like any other input. Where IndexedDB is
 * unavailable (some private modes, unit tests in node) a memory store keeps the edits for the
 * life of the page.
 */
export interface OutboxKey {
  /** The user who made the edits (only they flush them). */
  readonly user: string;
  readonly dataset: string;
  readonly record: string;
}

export interface OutboxEntry extends OutboxKey {
  readonly id: string;
  readonly update: Uint8Array;
  /** When the edit was made (ms since the epoch). */
  readonly at: number;
}

export interface OutboxStore {
  put(entry: OutboxEntry): Promise<void>;
  remove(ids: readonly string[]): Promise<void>;
  /** A record's entries, oldest first. */
  list(key: OutboxKey): Promise<OutboxEntry[]>;
  /** Every entry of a user, oldest first. */
  listUser(user: string): Promise<OutboxEntry[]>;
}

class OutboxStoreError extends Error {
  override name = "OutboxStoreError";
}

/** A stored row, or null when it is not an outbox entry (skipped, never sent). */
export function parseEntry(v: unknown): OutboxEntry | null {
  if (v === null || typeof v !== "object") return null;
  const e = v as Partial<Record<keyof OutboxEntry, unknown>>;
  if (
    typeof e.id !== "string" ||
    typeof e.user !== "string" ||
    typeof e.dataset !== "string" ||
    typeof e.record !== "string"
  )
    return null;
  if (!(e.update instanceof Uint8Array) || e.update.length === 0 || typeof e.at !== "number") return null;
  return { id: e.id, user: e.user, dataset: e.dataset, record: e.record, update: e.update, at: e.at };
}

const byTime = (a: OutboxEntry, b: OutboxEntry) => a.at - b.at;

export class MemoryOutboxStore implements OutboxStore {
  private readonly rows = new Map<string, OutboxEntry>();
  put(entry: OutboxEntry): Promise<void> {
    this.rows.set(entry.id, entry);
    return Promise.resolve();
  }
  remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.rows.delete(id);
    return Promise.resolve();
  }
  list(key: OutboxKey): Promise<OutboxEntry[]> {
    return Promise.resolve(
      [...this.rows.values()]
        .filter((e) => e.user === key.user && e.dataset === key.dataset && e.record === key.record)
        .sort(byTime),
    );
  }
  listUser(user: string): Promise<OutboxEntry[]> {
    return Promise.resolve([...this.rows.values()].filter((e) => e.user === user).sort(byTime));
  }
}

const DB_NAME = "tessera-outbox";
const STORE = "updates";
const BY_RECORD = "byRecord";
const BY_USER = "byUser";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new OutboxStoreError(req.error?.message ?? "IndexedDB request failed"));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(new OutboxStoreError(tx.error?.message ?? "IndexedDB transaction failed"));
  });
}

class IndexedDbOutboxStore implements OutboxStore {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(factory: IDBFactory): Promise<IndexedDbOutboxStore> {
    const req = factory.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const store = req.result.createObjectStore(STORE, { keyPath: "id" });
      store.createIndex(BY_RECORD, ["user", "dataset", "record"]);
      store.createIndex(BY_USER, "user");
    };
    return new IndexedDbOutboxStore(await request(req));
  }

  async put(entry: OutboxEntry): Promise<void> {
    // Default durability: committed in the browser process, which outlives a crashed tab; "strict"
    // would fsync every edit of a drag.
    const tx = this.db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(entry);
    await done(tx);
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const tx = this.db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    for (const id of ids) store.delete(id);
    await done(tx);
  }

  list(key: OutboxKey): Promise<OutboxEntry[]> {
    return this.read(BY_RECORD, [key.user, key.dataset, key.record]);
  }

  listUser(user: string): Promise<OutboxEntry[]> {
    return this.read(BY_USER, user);
  }

  private async read(index: string, query: IDBValidKey): Promise<OutboxEntry[]> {
    const tx = this.db.transaction(STORE, "readonly");
    const rows = await request(tx.objectStore(STORE).index(index).getAll(query));
    const out: OutboxEntry[] = [];
    for (const row of rows) {
      const e = parseEntry(row);
      if (e) out.push(e);
      else console.warn("tessera: skipping a malformed outbox row", row);
    }
    return out.sort(byTime);
  }
}

/** IndexedDB when the browser has it, else memory (with a warning: queued edits then die with the tab). */
export async function openOutboxStore(): Promise<OutboxStore> {
  if (typeof indexedDB === "undefined") return new MemoryOutboxStore();
  try {
    return await IndexedDbOutboxStore.open(indexedDB);
  } catch (err) {
    if (!(err instanceof OutboxStoreError) && !(err instanceof DOMException)) throw err;
    console.warn("tessera: IndexedDB unavailable, queued edits are kept in memory only", err);
    return new MemoryOutboxStore();
  }
}
