/**
 * What the sync indicator says (UI.md: "Saved · Saving… · Offline, N changes queued"), decided
 * from what actually crossed the wire: every content frame the provider sends (`[0,1]` sync step 2
 * or `[0,2]` update) is confirmed by the server, in order, once it is in the write-ahead log
 * (type-100 `confirmed {count}`, counted per connection). A local edit is "pending" until the
 * frame that carried it is confirmed. Pure and clock-free, so it is tested without a socket.
 */
export type SyncPhase = "connecting" | "saved" | "saving" | "offline" | "readOnly";

export interface SyncStatus {
  readonly phase: SyncPhase;
  /** Local edits not yet known durable (shown as "N changes queued" when offline). */
  readonly pending: number;
}

export type ContentFrame = "update" | "step2";

export class SyncTracker {
  private connected = false;
  private everConnected = false;
  private welcomed = false;
  private readOnly = false;
  private pending = 0;
  /** Edits carried by each content frame sent on this connection and not yet confirmed, oldest first. */
  private inFlight: number[] = [];
  private confirmedOnConnection = 0;
  private readonly listeners = new Set<(s: SyncStatus) => void>();

  /** A transaction of this client changed the document (not one received from the server). */
  localEdit(): void {
    if (this.readOnly) return;
    this.pending++;
    this.emit();
  }

  /** The websocket opened: the server counts confirmations from zero on each connection. */
  connectionOpened(): void {
    this.connected = true;
    this.everConnected = true;
    this.welcomed = false;
    this.inFlight = [];
    this.confirmedOnConnection = 0;
    this.emit();
  }

  /** The websocket closed: what was in flight is unconfirmed; sync step 2 resends it on reconnect. */
  connectionClosed(): void {
    this.connected = false;
    this.welcomed = false;
    this.inFlight = [];
    this.emit();
  }

  /** Type-100 `welcome`: the record is loaded; read-only connections have their edits dropped. */
  welcome(readOnly: boolean): void {
    this.welcomed = true;
    if (readOnly && !this.readOnly) {
      // The server drops (and never confirms) a read-only connection's edits.
      this.inFlight = [];
      this.pending = 0;
    }
    this.readOnly = readOnly;
    this.emit();
  }

  /**
   * The provider sent a content frame. An update carries one local edit; a sync step 2 (the answer
   * to the server's step 1 after connecting) carries every pending edit not already in flight.
   */
  frameSent(kind: ContentFrame): void {
    if (!this.connected || this.readOnly) return;
    const inFlight = this.inFlight.reduce((a, b) => a + b, 0);
    this.inFlight.push(kind === "update" ? 1 : Math.max(0, this.pending - inFlight));
    this.emit();
  }

  /** Type-100 `confirmed {count}`: the first `count` content frames of this connection are durable. */
  confirmed(count: number): void {
    let changed = false;
    while (this.confirmedOnConnection < count && this.inFlight.length > 0) {
      const edits = this.inFlight.shift() ?? 0;
      this.pending = Math.max(0, this.pending - edits);
      this.confirmedOnConnection++;
      changed = true;
    }
    if (this.confirmedOnConnection < count) this.confirmedOnConnection = count;
    if (changed) this.emit();
  }

  status(): SyncStatus {
    if (this.readOnly) return { phase: "readOnly", pending: 0 };
    if (!this.connected) return { phase: this.everConnected || this.pending > 0 ? "offline" : "connecting", pending: this.pending };
    if (this.pending > 0) return { phase: "saving", pending: this.pending };
    return { phase: this.welcomed ? "saved" : "connecting", pending: 0 };
  }

  /** True when closing the tab now would lose edits (UI.md: warn once). */
  hasUnsavedEdits(): boolean {
    return this.pending > 0;
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

/** The indicator's words. */
export function syncLabel(s: SyncStatus): string {
  switch (s.phase) {
    case "connecting":
      return "Connecting…";
    case "saved":
      return "Saved";
    case "saving":
      return "Saving…";
    case "offline":
      return s.pending > 0 ? `Offline, ${s.pending} ${s.pending === 1 ? "change" : "changes"} queued` : "Offline";
    case "readOnly":
      return "Read-only";
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
