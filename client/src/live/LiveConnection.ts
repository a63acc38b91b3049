import { io, type Socket } from "socket.io-client";
import {
  LIVE_NAMESPACE,
  type ActivityEntry,
  type LiveClientToServer,
  type LiveServerToClient,
  type LiveUser,
  type Presence,
  type StatusChange,
  type NamedAction,
} from "@tessera/shared-crdt";
import type { ReviewPin, ReviewThread } from "@tessera/shared-crdt/api";
import { ApiError, requestJson } from "../api/http.js";
import { onSessionEnded, onSignedIn, roleOn, type Identity } from "../session.js";

/**
 * The live channel of one dataset (socket.io namespace `/live`): who is on which record, follow,
 * status changes and the activity feed. One per dataset while the explorer or a workspace of it is
 * open. What this connection last said about itself (record, tool, frame, whom it follows) is
 * said again after a reconnect, since the server starts each connection blank.
 */
class LiveError extends Error {
  override name = "LiveError";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LiveEvents {
  presence: readonly Presence[];
  status: StatusChange;
  activity: ActivityEntry;
  followMoved: { leader: LiveUser; recordId: string | null };
  followEnded: { leader: LiveUser };
  connection: boolean;
  /** A review thread of this dataset changed (SPEC RV8). */
  review: Parameters<LiveServerToClient["review:thread"]>[0];
  /** Assignments of this dataset changed (SPEC AS7). */
  assign: Parameters<LiveServerToClient["assign:changed"]>[0];
  /** A pre-annotation job of this dataset changed (SPEC INF-PREANN). */
  job: Parameters<LiveServerToClient["job:progress"]>[0];
}

type Listener<K extends keyof LiveEvents> = (payload: LiveEvents[K]) => void;

const ACK_TIMEOUT_MS = 10_000;

export class LiveConnection {
  private readonly socket: Socket<LiveServerToClient, LiveClientToServer>;
  private readonly presence = new Map<string, Presence>();
  private readonly stops: Array<() => void> = [];
  private readonly listeners: { [K in keyof LiveEvents]?: Set<Listener<K>> } = {};
  private mine: { recordId: string | null; tool: string | null; frame: number | null } = {
    recordId: null,
    tool: null,
    frame: null,
  };
  private following: string | null = null;
  me: LiveUser | null = null;
  connectionId: string | null = null;

  constructor(
    readonly datasetId: string,
    identity: Identity,
  ) {
    this.socket = io(LIVE_NAMESPACE, {
      auth: { datasetId, name: identity.name, role: roleOn(identity, datasetId) },
      transports: ["websocket"],
      reconnectionDelayMax: 3000,
    });
    this.socket.on("hello", (p) => {
      this.me = p.you;
      this.connectionId = p.connectionId;
      this.presence.clear();
      for (const x of p.presence) this.presence.set(x.connectionId, x);
      this.emit("connection", true);
      this.emitPresence();
      if (this.mine.recordId !== null || this.mine.tool !== null) this.socket.emit("presence:update", this.mine);
      if (this.following) this.socket.emit("follow:set", { userId: this.following }, () => undefined);
    });
    this.socket.on("disconnect", () => this.emit("connection", false));
    this.socket.on("connect_error", (err) => {
      console.warn(`tessera: live channel of ${datasetId}: ${err.message}`);
      // Refused for want of a session: ask the REST API, whose 401 raises the sign-in dialog
      // (and stops this channel until the next sign-in, below).
      if (/auth/i.test(err.message)) {
        requestJson<unknown>("/auth/me").catch((e: unknown) => {
          if (!(e instanceof ApiError)) console.warn("tessera: cannot check the session", e);
        });
      }
    });
    // No reconnect loop while signed out; back on the next sign-in.
    this.stops.push(
      onSessionEnded(() => this.socket.disconnect()),
      onSignedIn(() => this.socket.connect()),
    );
    this.socket.on("presence:changed", (p) => {
      this.presence.set(p.connectionId, p);
      this.emitPresence();
    });
    this.socket.on("presence:left", (p) => {
      this.presence.delete(p.connectionId);
      this.emitPresence();
    });
    this.socket.on("record:status", (p) => this.emit("status", p));
    this.socket.on("activity", (p) => this.emit("activity", p));
    this.socket.on("review:thread", (p) => this.emit("review", p));
    this.socket.on("assign:changed", (p) => this.emit("assign", p));
    this.socket.on("job:progress", (p) => this.emit("job", p));
    this.socket.on("follow:moved", (p) => this.emit("followMoved", p));
    this.socket.on("follow:ended", (p) => {
      this.following = null;
      this.emit("followEnded", { leader: p.leader });
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  on<K extends keyof LiveEvents>(event: K, fn: Listener<K>): () => void {
    let set = this.listeners[event] as Set<Listener<K>> | undefined;
    if (!set) {
      set = new Set();
      (this.listeners as Record<string, unknown>)[event] = set;
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  private emit<K extends keyof LiveEvents>(event: K, payload: LiveEvents[K]): void {
    const set = this.listeners[event] as Set<Listener<K>> | undefined;
    if (set) for (const fn of set) fn(payload);
  }

  private emitPresence(): void {
    this.emit("presence", [...this.presence.values()]);
  }

  presenceList(): Presence[] {
    return [...this.presence.values()];
  }

  /** Where this tab is; only what changed is sent. */
  updatePresence(p: { recordId: string | null; tool?: string | null; frame?: number | null }): void {
    const next = {
      recordId: p.recordId,
      tool: p.tool === undefined ? this.mine.tool : p.tool,
      frame: p.frame === undefined ? this.mine.frame : p.frame,
    };
    if (next.recordId === this.mine.recordId && next.tool === this.mine.tool && next.frame === this.mine.frame) return;
    this.mine = next;
    if (this.socket.connected) this.socket.emit("presence:update", next);
  }

  /** Starts (userId) or stops (null) following; resolves with the leader's current record. */
  async follow(userId: string | null): Promise<string | null> {
    const value = await this.ask<{ recordId: string | null }>((ack) => this.socket.emit("follow:set", { userId }, ack));
    this.following = userId;
    return value.recordId;
  }

  /** Review threads (SPEC RV): open, answer, resolve or reopen — as this connection's person. */
  openThread(recordId: string, text: string, pin: ReviewPin | null): Promise<ReviewThread> {
    return this.ask<ReviewThread>((ack) =>
      this.socket.emit("review:open", pin ? { recordId, text, pin } : { recordId, text }, ack),
    );
  }

  replyThread(recordId: string, threadId: string, text: string): Promise<ReviewThread> {
    return this.ask<ReviewThread>((ack) => this.socket.emit("review:reply", { recordId, threadId, text }, ack));
  }

  resolveThread(recordId: string, threadId: string, resolved: boolean): Promise<ReviewThread> {
    return this.ask<ReviewThread>((ack) => this.socket.emit("review:resolve", { recordId, threadId, resolved }, ack));
  }

  transition(recordId: string, action: NamedAction, comment = "", pin: ReviewPin | null = null): Promise<StatusChange> {
    return this.ask<StatusChange>((ack) =>
      this.socket.emit(
        "record:transition",
        pin ? { recordId, action, comment, pin } : { recordId, action, comment },
        ack,
      ),
    );
  }

  activity(recordId?: string, limit = 100): Promise<ActivityEntry[]> {
    return this.ask<ActivityEntry[]>((ack) =>
      this.socket.emit("activity:list", recordId === undefined ? { limit } : { recordId, limit }, ack),
    );
  }

  private ask<T>(
    send: (ack: (r: { ok: true; value: T } | { ok: false; error: string; reason?: string }) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.socket.connected) {
        reject(new LiveError("offline", "the live channel is not connected"));
        return;
      }
      const timer = setTimeout(() => reject(new LiveError("timeout", "the server did not answer")), ACK_TIMEOUT_MS);
      send((reply) => {
        clearTimeout(timer);
        if (reply.ok) resolve(reply.value);
        else reject(new LiveError(reply.reason ?? "error", reply.error));
      });
    });
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.socket.disconnect();
    for (const k of Object.keys(this.listeners)) delete (this.listeners as Record<string, unknown>)[k];
  }
}
