/**
 * What the sync indicator says (UI.md: "Saved · Saving… · Offline, N changes queued"), decided
 * from what actually crossed the wire. Every local edit is an entry of the record's durable outbox
 * (see outbox.ts), named by an id; every content frame the provider sends (`[0,1]` sync step 2 or
 * `[0,2]` update) carries a known set of those ids, and the server confirms content frames in
 * order once they are in its write-ahead log (type-100 `confirmed {count}`, counted per
 * connection). An edit is "pending" until a frame that carried it is confirmed; {@link confirmed}
 * hands back the ids that became durable so the outbox can forget them. Pure and clock-free, so it
 * is tested without a socket.
 */
export type SyncPhase = "loading" | "saved" | "saving" | "offline" | "readOnly" | "signedOut" | "missing";

export interface SyncStatus {
  readonly phase: SyncPhase;
  /** Local edits not yet known durable (shown as "N changes queued" when they cannot be sent). */
  readonly pending: number;
}

export type ContentFrame = "update" | "step2";

/** Why a session stopped connecting: its sign-in ended (resumable) or the record does not exist (final). */
export type Halt = "signedOut" | "missing";

export class SyncTracker {
  private connected = false;
  private welcomed = false;
  private loaded = false;
  private readOnly = false;
  private halted: Halt | null = null;
  private networkDown = false;
  /** The record's outbox was read: until then "Saved" could hide edits of an earlier visit. */
  private outboxKnown = false;
  /** Outbox ids of the edits not yet known durable. */
  private readonly pending = new Set<string>();
  /** The ids each content frame of this connection carried, oldest first, not yet confirmed. */
  private inFlight: Array<readonly string[]> = [];
  private confirmedOnConnection = 0;
  private readonly listeners = new Set<(s: SyncStatus) => void>();

  /** A transaction of this client changed the document, or an outbox entry of an earlier visit was found. */
  queued(ids: Iterable<string>): void {
    let changed = false;
    for (const id of ids) {
      if (this.pending.has(id)) continue;
      this.pending.add(id);
      changed = true;
    }
    if (changed) this.emit();
  }

  /** The record's outbox was read; `ids` are its entries (edits of earlier visits, still queued). */
  outboxRead(ids: Iterable<string>): void {
    this.outboxKnown = true;
    this.queued(ids);
    this.emit();
  }

  /** The websocket opened: the server counts confirmations from zero on each connection. */
  connectionOpened(): void {
    this.connected = true;
    this.welcomed = false;
    this.inFlight = [];
    this.confirmedOnConnection = 0;
    this.emit();
  }

  /** The websocket closed: what was in flight is unconfirmed; it is sent again on reconnect. */
  connectionClosed(): void {
    this.connected = false;
    this.welcomed = false;
    this.inFlight = [];
    this.emit();
  }

  /** Type-100 `welcome`: the connection's rights are known. */
  welcome(readOnly: boolean): void {
    this.welcomed = true;
    this.readOnly = readOnly;
    this.emit();
  }

  /** The server's sync step 2 arrived: the document holds the record (it is no longer loading). */
  synced(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.emit();
  }

  /** The provider sent a content frame carrying the edits `ids` (none for an empty step 2). */
  frameSent(ids: readonly string[]): void {
    if (!this.connected) return;
    this.inFlight.push(ids);
  }

  /**
   * Type-100 `confirmed {count}`: the first `count` content frames of this connection are durable.
   * Returns the ids that just became durable (the outbox removes them).
   */
  confirmed(count: number): string[] {
    const durable: string[] = [];
    while (this.confirmedOnConnection < count && this.inFlight.length > 0) {
      const ids = this.inFlight.shift() ?? [];
      for (const id of ids) if (this.pending.delete(id)) durable.push(id);
      this.confirmedOnConnection++;
    }
    if (this.confirmedOnConnection < count) this.confirmedOnConnection = count;
    if (durable.length > 0) this.emit();
    return durable;
  }

  /** The browser says it is offline (or back online): a record not loaded yet says "Offline", not "Loading…". */
  network(online: boolean): void {
    if (this.networkDown === !online) return;
    this.networkDown = !online;
    this.emit();
  }

  /** The session stopped connecting (see {@link Halt}); pending edits stay queued. */
  halt(reason: Halt): void {
    if (this.halted === reason) return;
    this.halted = reason;
    this.connected = false;
    this.inFlight = [];
    this.emit();
  }

  /** Signed in again: the session reconnects. */
  resume(): void {
    if (this.halted !== "signedOut") return;
    this.halted = null;
    this.emit();
  }

  /** Ids of the edits not yet durable (a step 2 carries the ones in the document). */
  pendingIds(): string[] {
    return [...this.pending];
  }

  status(): SyncStatus {
    const pending = this.pending.size;
    if (this.halted) return { phase: this.halted, pending };
    if (this.readOnly && this.welcomed) return { phase: "readOnly", pending };
    if (!this.connected)
      return { phase: this.loaded || pending > 0 || this.networkDown ? "offline" : "loading", pending };
    if (!this.loaded || !this.welcomed || !this.outboxKnown) return { phase: "loading", pending };
    return { phase: pending > 0 ? "saving" : "saved", pending };
  }

  /** True when the record's document is loaded (before that, an empty document means nothing). */
  isLoaded(): boolean {
    return this.loaded;
  }

  /** True when edits are not yet durable on the server (UI.md: warn once before closing). */
  hasUnsavedEdits(): boolean {
    return this.pending.size > 0 && !this.readOnly;
  }

  subscribe(fn: (s: SyncStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    const s = this.status();
    for (const fn of this.listeners) fn(s);
  }
}

function changes(n: number): string {
  return `${n} ${n === 1 ? "change" : "changes"}`;
}

/** The indicator's words. */
export function syncLabel(s: SyncStatus): string {
  switch (s.phase) {
    case "loading":
      return "Loading…";
    case "saved":
      return "Saved";
    case "saving":
      return "Saving…";
    case "offline":
      return s.pending > 0 ? `Offline, ${changes(s.pending)} queued` : "Offline";
    case "readOnly":
      return s.pending > 0 ? `Read-only, ${changes(s.pending)} not accepted` : "Read-only";
    case "signedOut":
      return s.pending > 0 ? `Signed out, ${changes(s.pending)} queued` : "Signed out";
    case "missing":
      return "No such record";
  }
}

/** Classifies an outgoing y-websocket frame: content frames are the ones the server confirms. */
export function contentFrameKind(frame: Uint8Array): ContentFrame | null {
  // [0 = sync, subtype, …]: subtype 1 = step 2, 2 = update (both varUints < 128, so one byte each).
  if (frame.length < 2 || frame[0] !== 0) return null;
  if (frame[1] === 1) return "step2";
  if (frame[1] === 2) return "update";
  return null;
}
