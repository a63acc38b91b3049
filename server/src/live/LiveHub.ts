import type { Server as HttpServer, IncomingMessage } from "node:http";
import { Server, type Namespace, type ServerOptions, type Socket } from "socket.io";
import {
  LIVE_NAMESPACE,
  LIVE_PROTOCOL_VERSION,
  type AssignChange,
  type LiveAck,
  type LiveClientToServer,
  type LiveServerToClient,
  type LiveUser,
  type Presence,
  isNamedAction,
  WORKFLOW_ACTIONS,
  type NamedAction,
  type LiveJob,
  type ReviewThreadChange,
  type StatusChange,
  userColor,
} from "@tessera/shared-crdt";
import { ReviewPin, ReviewReplyCreate, ReviewThreadCreate, type ReviewThread } from "@tessera/shared-crdt/api";
import { Value } from "@sinclair/typebox/value";
import type { ActivityLog, TouchedTables } from "./ActivityLog.js";
import { systemClock, type Clock } from "../sync/clock.js";

/** A review thread's change, as the live channel relays it (`ReviewStore.onThread`). */
export interface LiveThreadEvent {
  readonly datasetId: string;
  readonly thread: ReviewThread;
  readonly change: ReviewThreadChange;
  readonly by: { readonly id: string; readonly name: string };
  readonly message: { readonly text: string } | null;
}

/** What the live channel needs from the review threads (`ReviewStore`). */
export interface LiveReviewPort {
  onThread(fn: (e: LiveThreadEvent) => void): () => void;
  open(
    datasetId: string,
    recordId: string,
    author: { id: string; name: string },
    text: string,
    options: { pin?: ReviewPin | null },
  ): Promise<ReviewThread>;
  reply(
    datasetId: string,
    recordId: string,
    threadId: string,
    author: { id: string; name: string },
    text: string,
  ): Promise<ReviewThread>;
  setResolved(
    datasetId: string,
    recordId: string,
    threadId: string,
    by: { id: string; name: string },
    resolved: boolean,
  ): Promise<ReviewThread>;
}

/** What the live channel needs from the record rooms (implemented by the sync RoomManager). */
export interface LiveRoomsPort {
  applyWorkflow(
    datasetId: string,
    recordId: string,
    action: NamedAction,
    user: LiveUser,
    comment: string,
    /** Where a rejection's review thread points (SPEC RV5). */
    pin?: ReviewPin | null,
  ): Promise<StatusChange>;
  onStatus(fn: (change: StatusChange) => void): () => void;
  onEdit(
    fn: (edit: { datasetId: string; recordId: string; user: LiveUser; tables: TouchedTables }) => void,
  ): () => void;
}

/**
 * Who is on a dataset, over every process of the scaled mode (`server/src/cluster/live/ClusterPresence.ts`):
 * each process writes its own connections' presence, everyone reads all of it.
 */
export interface PresenceBook {
  put(datasetId: string, presence: Presence): void;
  remove(datasetId: string, connectionId: string): void;
  list(datasetId: string): Promise<Presence[]>;
}

/**
 * The live connections per user over every process of the scaled mode
 * (`server/src/cluster/live/ClusterLiveConnections.ts`), so the per-user cap holds over all of them.
 */
export interface LiveConnectionCounts {
  /** Takes a place for one more connection of `userId` when fewer than `max` are open anywhere; rejects when it cannot tell. */
  admit(userId: string, max: number): Promise<boolean>;
  /** Gives a place back (the connection closed). */
  release(userId: string): void;
}

/**
 * Who a live connection is, from its handshake request and `auth` payload; `null` (or a thrown
 * {@link LiveError}) refuses it. With accounts: `AuthService.identifyLive` (server/src/auth).
 */
export type LiveIdentify = (req: IncomingMessage, auth: Record<string, unknown>) => Promise<LiveUser | null>;

export class LiveError extends Error {
  override name = "LiveError";
  constructor(
    readonly reason: "bad_request" | "unknown_dataset" | "forbidden" | "unauthorized" | "too_many",
    message: string,
  ) {
    super(message);
  }
}

const tooManyLive = () => new LiveError("too_many", "too many live connections for this user");

interface ConnData {
  datasetId: string;
  user: LiveUser;
  presence: Presence;
}

type LiveSocket = Socket<LiveClientToServer, LiveServerToClient, Record<string, never>, ConnData>;

/** Where socket.io (the live channel's transport: long polling and websocket) is served; it owns every path under it. */
const LIVE_TRANSPORT_PATH = "/socket.io/";

/** Whether a request URL is socket.io's (the same prefix test engine.io applies). */
export function isLiveTransportPath(url: string | undefined): boolean {
  return (url ?? "").startsWith(LIVE_TRANSPORT_PATH);
}

const datasetRoom = (datasetId: string) => `ds:${datasetId}`;
const followersRoom = (datasetId: string, userId: string) => `follow:${datasetId}:${userId}`;

/**
 * The live channel (SPEC L-HANDSHAKE … L-ACTIVITY): socket.io namespace `/live`, one room per dataset. Presence (who is
 * on which record with which tool and frame), follow (followers receive their leader's record
 * changes), status changes and the activity feed.
 */
export class LiveHub {
  readonly io: Server<LiveClientToServer, LiveServerToClient, Record<string, never>, ConnData>;
  private readonly nsp: Namespace<LiveClientToServer, LiveServerToClient, Record<string, never>, ConnData>;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    http: HttpServer,
    private readonly deps: {
      rooms: LiveRoomsPort;
      activity: ActivityLog;
      identify: LiveIdentify;
      datasetExists: (datasetId: string) => Promise<boolean>;
      /** Time of presence and follow stamps (default: wall clock); the sync endpoint's clock type. */
      clock?: Clock;
      /** Live connections one user may hold at once (tabs); more are refused at the handshake. Default 32. */
      maxConnectionsPerUser?: number;
      /** Review threads (SPEC RV8): their changes reach the dataset's room and the activity feed. */
      review?: LiveReviewPort;
      /** Assignments (SPEC AS7): their changes reach the dataset's room. */
      assign?: { onChange(fn: (e: AssignChange & { readonly datasetId: string }) => void): () => void };
      /** Whether a record exists (review events name one). */
      recordExists?: (datasetId: string, recordId: string) => Promise<boolean>;
      /**
       * The scaled mode: socket.io's adapter that carries every room emit to the other processes
       * (`@socket.io/redis-adapter`), the presence of the whole cluster, and the connections per
       * user counted over it.
       */
      cluster?: {
        readonly adapter: NonNullable<ServerOptions["adapter"]>;
        readonly presence: PresenceBook;
        readonly connections: LiveConnectionCounts;
      };
    },
  ) {
    this.io = new Server<LiveClientToServer, LiveServerToClient, Record<string, never>, ConnData>(http, {
      ...(deps.cluster ? { adapter: deps.cluster.adapter } : {}),
      path: LIVE_TRANSPORT_PATH.slice(0, -1),
      serveClient: false,
      destroyUpgrade: false,
      maxHttpBufferSize: 64 * 1024,
      cors: { origin: false },
    });
    this.nsp = this.io.of(LIVE_NAMESPACE);
    this.nsp.use((socket, next) => {
      this.authenticate(socket as LiveSocket).then(
        () => next(),
        (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
      );
    });
    this.nsp.on("connection", (socket) => this.onConnection(socket as LiveSocket));
    this.unsubscribe.push(
      deps.rooms.onStatus((change) => {
        this.nsp.to(datasetRoom(change.datasetId)).emit("record:status", change);
        deps.activity.recordStatus(change.datasetId, change.recordId, change.by, {
          from: change.from,
          to: change.to,
          action: change.action,
          comment: change.comment,
        });
      }),
      deps.rooms.onEdit((e) => deps.activity.recordEdit(e.datasetId, e.recordId, e.user, e.tables)),
      deps.activity.onEntry((entry) => this.nsp.to(datasetRoom(entry.datasetId)).emit("activity", entry)),
    );
    if (deps.review) this.unsubscribe.push(deps.review.onThread((e) => this.reviewChanged(e)));
    if (deps.assign)
      this.unsubscribe.push(
        deps.assign.onChange(({ datasetId, change, record_ids, by }) =>
          this.nsp.to(datasetRoom(datasetId)).emit("assign:changed", { change, record_ids, by }),
        ),
      );
  }

  /** A pre-annotation job's or a tracking run's state, to everyone on its dataset (SPEC INF-PREANN). */
  jobChanged(job: LiveJob): void {
    this.nsp.to(datasetRoom(job.dataset)).emit("job:progress", job);
  }

  /** SPEC RV8: everyone on the dataset gets the thread as it is now; the feed gets one entry. */
  private reviewChanged(e: LiveThreadEvent): void {
    const { thread, change, by, message } = e;
    this.nsp.to(datasetRoom(e.datasetId)).emit("review:thread", { thread, change, by });
    const known = this.localPresenceOf(e.datasetId).find((p) => p.user.id === by.id)?.user;
    const user: LiveUser = known ?? { id: by.id, name: by.name, color: userColor(by.id), role: "annotator" };
    this.deps.activity.recordReview(e.datasetId, thread.record_id, user, {
      threadId: thread.id,
      change,
      text: message?.text ?? "",
      pinned: thread.pin !== null,
    });
  }

  private now(): string {
    return new Date((this.deps.clock ?? systemClock).now()).toISOString();
  }

  private async authenticate(socket: LiveSocket): Promise<void> {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const datasetId = auth.datasetId;
    if (typeof datasetId !== "string" || datasetId === "" || datasetId.length > 256)
      throw new LiveError("bad_request", "auth.datasetId is required");
    // Who first: a stranger learns nothing, not even whether the dataset exists.
    const user = await this.deps.identify(socket.request, auth);
    if (!user) throw new LiveError("unauthorized", "authentication required");
    if (!(await this.deps.datasetExists(datasetId)))
      throw new LiveError("unknown_dataset", `dataset ${datasetId} not found`);
    const max = this.deps.maxConnectionsPerUser ?? 32;
    let open = 0;
    for (const s of this.nsp.sockets.values()) if (s.data?.user?.id === user.id) open++;
    if (open >= max) throw tooManyLive();
    const counts = this.deps.cluster?.connections;
    if (counts) await this.admitAnywhere(socket, counts, user.id, max);
    socket.data = {
      datasetId,
      user,
      presence: {
        user,
        connectionId: socket.id,
        recordId: null,
        tool: null,
        frame: null,
        following: null,
        since: this.now(),
      },
    };
  }

  /**
   * The scaled mode: a place among the user's connections over every process, given back once when the
   * connection ends. The transport is watched too: a client gone during the handshake never connects
   * (no `disconnect`), but its transport closes.
   */
  private async admitAnywhere(
    socket: LiveSocket,
    counts: LiveConnectionCounts,
    userId: string,
    max: number,
  ): Promise<void> {
    if (!(await counts.admit(userId, max))) throw tooManyLive();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      counts.release(userId);
    };
    if (socket.conn.readyState !== "open") {
      release();
      throw new LiveError("bad_request", "the connection closed during its handshake");
    }
    socket.conn.once("close", release);
    socket.once("disconnect", release);
  }

  /** This process's connections on a dataset. */
  private localPresenceOf(datasetId: string): Presence[] {
    const out: Presence[] = [];
    for (const s of this.nsp.sockets.values()) if (s.data?.datasetId === datasetId) out.push(s.data.presence);
    return out;
  }

  /** Everyone on a dataset: this process's connections, or the cluster's in the scaled mode. */
  private presenceOf(datasetId: string): Promise<Presence[]> {
    const book = this.deps.cluster?.presence;
    return book ? book.list(datasetId) : Promise.resolve(this.localPresenceOf(datasetId));
  }

  /** A connection's presence changed: the cluster's book learns it (the room's emit tells the people). */
  private setPresence(socket: LiveSocket, next: Presence): void {
    socket.data.presence = next;
    this.deps.cluster?.presence.put(socket.data.datasetId, next);
  }

  private onConnection(socket: LiveSocket): void {
    const { datasetId, user } = socket.data;
    void socket.join(datasetRoom(datasetId));
    this.deps.cluster?.presence.put(datasetId, socket.data.presence);
    // The handlers below are registered at once; hello follows as soon as the presence is read.
    this.presenceOf(datasetId).then(
      (presence) => {
        if (!socket.connected) return;
        // The book may not hold this connection yet (its write is in flight): it is always in hello.
        const here = presence.some((p) => p.connectionId === socket.id)
          ? presence
          : [...presence, socket.data.presence];
        socket.emit("hello", { protocol: LIVE_PROTOCOL_VERSION, you: user, connectionId: socket.id, presence: here });
        socket.to(datasetRoom(datasetId)).emit("presence:changed", socket.data.presence);
      },
      () => {
        // The cluster's presence could not be read (Redis unreachable): closing the transport makes
        // the client reconnect (to this or another process) and be greeted again.
        socket.conn.close();
      },
    );

    socket.on("presence:update", (p) => {
      if (p === null || typeof p !== "object") return;
      const recordId =
        p.recordId === null || (typeof p.recordId === "string" && p.recordId.length <= 256) ? p.recordId : undefined;
      if (recordId === undefined) return;
      const prev = socket.data.presence;
      const next: Presence = {
        ...prev,
        recordId,
        tool: typeof p.tool === "string" ? p.tool.slice(0, 32) : p.tool === null ? null : prev.tool,
        frame:
          typeof p.frame === "number" && Number.isInteger(p.frame) && p.frame >= 0
            ? p.frame
            : p.frame === null
              ? null
              : prev.frame,
      };
      this.setPresence(socket, next);
      this.nsp.to(datasetRoom(datasetId)).emit("presence:changed", next);
      if (next.recordId !== prev.recordId) {
        this.nsp.to(followersRoom(datasetId, user.id)).emit("follow:moved", { leader: user, recordId: next.recordId });
      }
    });

    socket.on("follow:set", (p, ack) => {
      if (typeof ack !== "function") return;
      const target = p?.userId;
      if (target !== null && typeof target !== "string")
        return ack({ ok: false, error: "userId must be a string or null", reason: "bad_request" });
      const prev = socket.data.presence.following;
      if (prev) void socket.leave(followersRoom(datasetId, prev));
      if (target === null || target === user.id) {
        this.setPresence(socket, { ...socket.data.presence, following: null });
        this.nsp.to(datasetRoom(datasetId)).emit("presence:changed", socket.data.presence);
        return ack({ ok: true, value: { recordId: null } });
      }
      this.presenceOf(datasetId).then(
        (all) => {
          const leader =
            all.find((x) => x.user.id === target && x.recordId !== null) ?? all.find((x) => x.user.id === target);
          if (!leader)
            return ack({ ok: false, error: `${target} is not connected to this dataset`, reason: "not_found" });
          void socket.join(followersRoom(datasetId, target));
          this.setPresence(socket, { ...socket.data.presence, following: target });
          this.nsp.to(datasetRoom(datasetId)).emit("presence:changed", socket.data.presence);
          return ack({ ok: true, value: { recordId: leader.recordId } });
        },
        (err: unknown) =>
          ack({ ok: false, error: err instanceof Error ? err.message : String(err), reason: "unavailable" }),
      );
    });

    socket.on("record:transition", (p, ack) => {
      if (typeof ack !== "function") return;
      // The same actions as the REST route: the state machine's named actions.
      if (!p || typeof p.recordId !== "string" || !isNamedAction(p.action)) {
        return ack({
          ok: false,
          error: `recordId and a workflow action (${WORKFLOW_ACTIONS.join(", ")}) are required`,
          reason: "bad_request",
        });
      }
      const comment = typeof p.comment === "string" ? p.comment.slice(0, 4000) : "";
      // A pin comes from the socket unchecked: the same schema as the REST body (SPEC RV2).
      if (p.pin !== undefined && p.pin !== null && !Value.Check(ReviewPin, p.pin))
        return ack({ ok: false, error: "pin is not a valid review pin", reason: "bad_request" });
      this.deps.rooms.applyWorkflow(datasetId, p.recordId, p.action, user, comment, p.pin ?? null).then(
        (change) => ack({ ok: true, value: change }),
        (err: unknown) =>
          ack({
            ok: false,
            error: err instanceof Error ? err.message : String(err),
            reason: (err as { reason?: string }).reason ?? "error",
          }),
      );
    });

    this.reviewHandlers(socket);

    socket.on("activity:list", (p, ack) => {
      if (typeof ack !== "function") return;
      const recordId = typeof p?.recordId === "string" ? p.recordId : undefined;
      const limit = typeof p?.limit === "number" ? p.limit : 100;
      this.deps.activity.list(datasetId, recordId === undefined ? { limit } : { recordId, limit }).then(
        (entries) => ack({ ok: true, value: entries }),
        (err: unknown) => ack({ ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
    });

    socket.on("disconnect", () => {
      this.deps.cluster?.presence.remove(datasetId, socket.id);
      this.nsp.to(datasetRoom(datasetId)).emit("presence:left", { connectionId: socket.id, userId: user.id });
      const endFollow = (all: readonly Presence[]) => {
        if (!all.some((x) => x.user.id === user.id && x.connectionId !== socket.id))
          this.nsp.to(followersRoom(datasetId, user.id)).emit("follow:ended", { leader: user, reason: "left" });
      };
      this.presenceOf(datasetId).then(endFollow, () => endFollow(this.localPresenceOf(datasetId)));
    });
  }

  /** SPEC RV4 over the live channel: the REST routes' checks, this connection's identity and role. */
  private reviewHandlers(socket: LiveSocket): void {
    const { datasetId, user } = socket.data;
    const author = { id: user.id, name: user.name };
    const run = (
      ack: LiveAck<ReviewThread>,
      recordId: unknown,
      need: "annotate" | "review",
      fn: (review: LiveReviewPort, recordId: string) => Promise<ReviewThread>,
    ): void => {
      const review = this.deps.review;
      if (!review) return ack({ ok: false, error: "review threads are not enabled", reason: "unavailable" });
      if (typeof recordId !== "string" || recordId === "" || recordId.length > 256)
        return ack({ ok: false, error: "recordId is required", reason: "bad_request" });
      const allowed = need === "review" ? user.role === "reviewer" || user.role === "admin" : user.role !== "viewer";
      if (!allowed)
        return ack({ ok: false, error: `a ${user.role} may not ${need} review threads`, reason: "forbidden" });
      (this.deps.recordExists ?? (() => Promise.resolve(true)))(datasetId, recordId)
        .then((exists) => {
          if (!exists) throw new LiveError("bad_request", `record ${recordId} not found`);
          return fn(review, recordId);
        })
        .then(
          (thread) => ack({ ok: true, value: thread }),
          (err: unknown) =>
            ack({
              ok: false,
              error: err instanceof Error ? err.message : String(err),
              reason: (err as { reason?: string }).reason ?? "error",
            }),
        );
    };
    const bad = (ack: LiveAck<ReviewThread>, what: string) => ack({ ok: false, error: what, reason: "bad_request" });
    socket.on("review:open", (p, ack) => {
      if (typeof ack !== "function") return;
      const body = { text: p?.text, ...(p?.pin ? { pin: p.pin } : {}) };
      if (!Value.Check(ReviewThreadCreate, body))
        return bad(ack, "text (1–4000 characters) and a valid pin are required");
      run(ack, p.recordId, "annotate", (r, id) => r.open(datasetId, id, author, body.text, { pin: body.pin ?? null }));
    });
    socket.on("review:reply", (p, ack) => {
      if (typeof ack !== "function") return;
      if (!Value.Check(ReviewReplyCreate, { text: p?.text }) || typeof p.threadId !== "string")
        return bad(ack, "threadId and text (1–4000 characters) are required");
      run(ack, p.recordId, "annotate", (r, id) => r.reply(datasetId, id, p.threadId, author, p.text));
    });
    socket.on("review:resolve", (p, ack) => {
      if (typeof ack !== "function") return;
      if (typeof p?.threadId !== "string" || typeof p.resolved !== "boolean")
        return bad(ack, "threadId and resolved are required");
      run(ack, p.recordId, "review", (r, id) => r.setResolved(datasetId, id, p.threadId, author, p.resolved));
    });
  }

  /**
   * Disconnects a user's live connections (their rights changed, their session ended); their
   * clients reconnect and are identified again — or refused.
   */
  disconnectUser(userId: string): number {
    let n = 0;
    for (const s of [...this.nsp.sockets.values()]) {
      if (s.data?.user?.id !== userId) continue;
      // Closing the transport (not `disconnect()`, which stock clients take as final) makes them reconnect.
      s.conn.close();
      n++;
    }
    return n;
  }

  /** Ids of the connections (one per tab) present on a dataset, over the cluster; for the explorer's "who is here". */
  presence(datasetId: string): Promise<Presence[]> {
    return this.presenceOf(datasetId);
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.deps.activity.flush();
    this.nsp.disconnectSockets(true);
    this.io.engine.close();
  }
}
