import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { RecordKey, RecordLog, SnapshotStore } from "@tessera/storage";
import { CloseCode, MessageType } from "@tessera/shared-crdt";
import { silentLogger, type Logger } from "../logger.js";
import { every, systemClock, type Clock } from "./clock.js";
import { Connection } from "./Connection.js";
import { defaultIdentify, isRefusal, type Identify } from "./identity.js";
import { resolveLimits, type SyncLimits } from "./limits.js";
import { recordDocLoader } from "./loadDoc.js";
import { WsRoomSocket } from "./wsSocket.js";
import type { Persister } from "../persist/index.js";
import type { DocLoader, PipedConnection, RoomOwnership, SyncLibrary, SyncRouting } from "./ports.js";
import { RoomManager } from "./RoomManager.js";
import { describeRequest, parseSyncRoute, refuseUpgrade } from "./upgrade.js";

export interface SyncDeps {
  readonly library: SyncLibrary;
  readonly log: RecordLog;
  readonly snapshots: SnapshotStore;
  /** Owned by the caller, which closes it after `SyncEndpoint.close()`. */
  readonly persister: Persister;
  /** Authentication hook; the default reads `?name=`, `?role=`, `?tessera=1`. */
  readonly identify?: Identify;
  readonly clock?: Clock;
  readonly limits?: Partial<SyncLimits>;
  readonly logger?: Logger;
  /** How a record document is loaded; the default is snapshot + log tail, or rows + an immediate snapshot. */
  readonly loadDoc?: DocLoader;
  /** Scaled mode: rooms load only under the record's lease, and upgrades for records owned elsewhere are piped there. */
  readonly cluster?: { readonly ownership: RoomOwnership; readonly routing: SyncRouting };
}

export interface SyncEndpoint {
  readonly rooms: RoomManager;
  /** Live websocket connections (joined or still waiting for their record to load). */
  readonly connectionCount: number;
  /** Stops accepting upgrades, closes sockets with 1001, flushes every room, unloads them. */
  close(): Promise<void>;
}

/**
 * Serves `GET /sync/:datasetId/:recordId` websocket upgrades on `server` with the stock
 * y-websocket protocol (docs/ARCHITECTURE.md §4 "Sync"), so `new WebsocketProvider(base + "/sync/" +
 * datasetId, recordId, doc)` is a full client. Identity, the record's existence and the
 * connection limits are checked at the HTTP upgrade, before any document loads; refusals are
 * plain HTTP responses (401/403/404/503) so stock clients back off. Upgrades on other paths are
 * left to their own handlers.
 */
export function attachSync(server: Server, deps: SyncDeps): SyncEndpoint {
  const limits = resolveLimits(deps.limits);
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const identify = deps.identify ?? defaultIdentify;
  const rooms = new RoomManager({
    library: deps.library,
    log: deps.log,
    snapshots: deps.snapshots,
    persister: deps.persister,
    loadDoc: deps.loadDoc ?? recordDocLoader({ log: deps.log, snapshots: deps.snapshots, clock }),
    clock,
    limits,
    logger,
    ...(deps.cluster ? { ownership: deps.cluster.ownership } : {}),
  });
  const routing = deps.cluster?.routing ?? null;
  /** Connections piped to the record's owner in another process (scaled mode). */
  const pipes = new Set<PipedConnection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes, perMessageDeflate: false });
  /** Each live connection and its socket (the keep-alive pings the socket). */
  const live = new Map<Connection, WsRoomSocket>();
  /** Admitted upgrades per record, counted from the admission check to the socket's close. */
  const admitted = new Map<string, number>();
  let total = 0;
  let closing = false;

  const keyName = (key: RecordKey) => JSON.stringify([key.datasetId, key.recordId]);
  const admit = (key: RecordKey): (() => void) | null => {
    const name = keyName(key);
    const n = admitted.get(name) ?? 0;
    if (total >= limits.maxConnections || n >= limits.maxConnectionsPerRecord) return null;
    total++;
    admitted.set(name, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      total--;
      const left = (admitted.get(name) ?? 1) - 1;
      if (left <= 0) admitted.delete(name);
      else admitted.set(name, left);
    };
  };

  const handle = async (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    onSocketError: (err: Error) => void,
  ): Promise<void> => {
    const route = parseSyncRoute(req.url);
    if (!route) return;
    if (closing) return refuseUpgrade(socket, 503, "server shutting down", { "Retry-After": "5" });
    if (route.kind === "malformed") return refuseUpgrade(socket, 404, "expected /sync/<datasetId>/<recordId>");
    // A peer's forwarded upgrade carries the identity it authenticated (and counted) at its edge, signed.
    const forwarded = routing?.forwardedIdentity(req) ?? null;
    const identity = forwarded ?? (await identify(req));
    if (isRefusal(identity)) return refuseUpgrade(socket, identity.refuse, identity.message, identity.headers);
    const release = admit(route.key);
    if (!release) return refuseUpgrade(socket, 503, "too many connections", { "Retry-After": "5" });
    let upgraded = false;
    socket.once("close", () => {
      if (!upgraded) release();
    });
    if (!(await rooms.recordExists(route.key.datasetId, route.key.recordId))) {
      return refuseUpgrade(socket, 404, "record not found");
    }
    if (closing) return refuseUpgrade(socket, 503, "server shutting down", { "Retry-After": "5" });
    if (socket.destroyed) return;
    if (routing) {
      const placement = await routing.place(route.key, forwarded !== null);
      if (placement.kind === "unavailable")
        return refuseUpgrade(socket, 503, placement.message, { "Retry-After": "1" });
      if (socket.destroyed) return;
      if (placement.kind === "peer") {
        const pipe = routing.forward(req, socket, identity, placement.url, (onClient) =>
          wss.handleUpgrade(req, socket, head, (ws) => {
            upgraded = true;
            socket.off("error", onSocketError);
            onClient(ws);
          }),
        );
        pipes.add(pipe);
        void pipe.done.then(() => {
          pipes.delete(pipe);
          release();
        });
        return;
      }
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      // From here on `ws` owns the socket and its errors.
      socket.off("error", onSocketError);
      const wsSocket = new WsRoomSocket(ws);
      const conn = new Connection(wsSocket, identity, route.key, limits, clock, logger);
      wsSocket.bind(conn, logger);
      live.set(conn, wsSocket);
      conn.onClose(() => {
        live.delete(conn);
        release();
      });
      void rooms.join(conn);
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!parseSyncRoute(req.url)) return;
    // Errors on a socket we are deciding about or refusing (the client went away) must not crash
    // the server; the listener stays until `ws` takes the socket over.
    const onSocketError = (err: Error) =>
      logger.info("sync upgrade socket error", { ...describeRequest(req), error: err.message });
    socket.on("error", onSocketError);
    handle(req, socket, head, onSocketError).then(
      () => undefined,
      (err: unknown) => {
        logger.error("sync upgrade failed", { ...describeRequest(req), error: (err as Error).stack ?? String(err) });
        refuseUpgrade(socket, 500, "internal error");
      },
    );
  };
  server.on("upgrade", onUpgrade);

  const pinger = every(clock, limits.pingIntervalMs, () => {
    for (const [conn, socket] of live) {
      if (!socket.alive) {
        logger.info("sync peer missed a ping; terminating", conn.context());
        conn.abandon();
        socket.terminate();
        continue;
      }
      socket.alive = false;
      socket.ping();
    }
  });

  // `[1, varByteArray([0])]`: an awareness update with no entries, a no-op for every client.
  const emptyAwareness = Uint8Array.of(MessageType.awareness, 1, 0);
  const keepAlive = every(clock, Math.max(1, Math.floor(limits.keepAliveMs / 4)), () => {
    const now = clock.now();
    for (const conn of live.keys())
      if (conn.isOpen && now - conn.lastSentAt >= limits.keepAliveMs) conn.send(emptyAwareness);
  });

  return {
    rooms,
    get connectionCount() {
      return live.size + pipes.size;
    },
    async close() {
      if (closing) return;
      closing = true;
      server.off("upgrade", onUpgrade);
      pinger.cancel();
      keepAlive.cancel();
      for (const conn of [...live.keys()]) conn.close(CloseCode.goingAway, "server shutting down");
      for (const pipe of [...pipes]) pipe.close(CloseCode.goingAway, "server shutting down");
      await rooms.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
