import type * as Y from "yjs";
import type { DatasetHandle } from "@tessera/dataset";
import type { RecordKey } from "@tessera/storage";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { Persister } from "../persist/index.js";
import type { Identity, Refusal } from "./identity.js";

/**
 * What the sync endpoint needs from its neighbours, stated narrowly so each can be replaced (the
 * file log by Redis, the in-process persister by a worker) without touching the rooms.
 */

/** The dataset library: opens a dataset by `info.json` id (null when unknown). `LibraryPort` fits. */
export interface SyncLibrary {
  open(datasetId: string): Promise<DatasetHandle | null>;
}

/** A record document as loaded (snapshot + log tail, or rows + an immediate snapshot). */
interface LoadedDoc {
  readonly doc: Y.Doc;
  /** The log holds entries the snapshot lacks (a crash or an unflushed unload left them, or an external change was merged): flush soon. */
  readonly unflushed: boolean;
  /** `Y.encodeStateAsUpdate(doc)` when the loader holds it already (a snapshot with nothing applied on top). */
  readonly fullState?: Uint8Array;
}

/** What a loader may tell before it finishes. */
export interface LoadHooks {
  /** The document's whole state as bytes, known before it is decoded (see `loadRecordDoc`'s `onFullState`). */
  readonly onFullState?: (state: Uint8Array) => void;
}

export type DocLoader = (dataset: DatasetHandle, key: RecordKey, hooks?: LoadHooks) => Promise<LoadedDoc>;

/** What a room needs of the persister (`InProcessPersister`, `ChildProcessPersister`): flush, then the room trims. */
export type SyncPersister = Pick<Persister, "flush" | "rowOwners">;

/**
 * Scaled mode (docs/ARCHITECTURE.md §6): a record's room may load only in the process that holds the record's
 * lease. `claim` resolves once this process holds it (taking it when free or when its holder died) and throws
 * a `RoomError` with reason `elsewhere` when another live process does; `released` is called once the room
 * is gone (after its last flush, or after a failed load) so the lease can go too. Absent: one process, no lease.
 */
export interface RoomOwnership {
  claim(key: RecordKey): Promise<void>;
  released(key: RecordKey): void;
}

/** Where a sync upgrade is served: here, piped to the owner at `url`, or refused for now (503, retry). */
export type Placement =
  | { readonly kind: "here" }
  | { readonly kind: "peer"; readonly url: string }
  | { readonly kind: "unavailable"; readonly message: string };

/** A client's websocket piped to another process. */
export interface PipedConnection {
  readonly done: Promise<void>;
  close(code: number, reason: string): void;
}

/**
 * Scaled mode at the sync endpoint's door: who a forwarded upgrade is (signed by a peer process), where a
 * record is served, and the pipe to its owner. Absent: every upgrade is served here.
 */
export interface SyncRouting {
  /** The identity a peer forwarded with this upgrade; null when the upgrade comes from a client directly. */
  forwardedIdentity(req: IncomingMessage): Identity | Refusal | null;
  /** Where `key` is served; a forwarded upgrade is never forwarded again (`forwarded`). */
  place(key: RecordKey, forwarded: boolean): Promise<Placement>;
  /** Pipes the client's upgrade to the owner at `url` as `identity`; `accept` completes the client's upgrade. */
  forward(
    req: IncomingMessage,
    socket: Duplex,
    identity: Identity,
    url: string,
    accept: (onClient: (ws: WebSocket) => void) => void,
  ): PipedConnection;
}
