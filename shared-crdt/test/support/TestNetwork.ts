import * as Y from "yjs";
import {
  applyRowsToDoc,
  clientOrigin,
  observeRecordChanges,
  repairDoc,
  serverOrigin,
  transact,
  type DatasetSchema,
  type ValidationIssue,
} from "../../src/index.js";
import type { RandomSource } from "./RandomSource.js";

const REMOTE = Symbol("remote");

interface Message {
  readonly update: Uint8Array;
}

/**
 * A star network of record documents: one server replica that validates and repairs every remote
 * transaction (as the real record room does) and client replicas. Each link has an explicit queue;
 * tests deliver messages in random order with `flushRandom`, cut clients off with `partition` and
 * bring them back with `heal` (a state-vector sync, as y-websocket does on reconnect). No timers.
 * It generates fuzzed documents for the persist round trip (`storage/test/fuzzPersist`);
 * the convergence fuzzer drives the real room instead (`server/test/sync/convergence.fuzz.test.ts`).
 */
export class TestNetwork {
  readonly server = new Y.Doc();
  readonly clients: Y.Doc[] = [];
  private readonly up: Message[][] = [];
  private readonly down: Message[][] = [];
  private readonly connected: boolean[] = [];
  /** Every update the server produced, to rebuild the document from merged updates. */
  readonly serverUpdates: Uint8Array[] = [];
  readonly issues: ValidationIssue[] = [];

  constructor(
    readonly schema: DatasetSchema,
    readonly recordId: string,
    clientCount: number,
    seedRows?: Parameters<typeof applyRowsToDoc>[1],
  ) {
    this.server.gc = true;
    this.server.on("update", (update: Uint8Array, origin: unknown) => {
      this.serverUpdates.push(update);
      for (let i = 0; i < this.clients.length; i++) {
        if (!this.connected[i]) continue;
        const from = (origin as { source?: string; sessionId?: string } | null)?.sessionId;
        if (from === `c${i}`) continue; // broadcast skips the sender
        this.down[i]?.push({ update });
      }
    });
    observeRecordChanges(this.server, (changes, tr) => {
      const o = tr.origin as { source?: string } | null;
      if (o?.source !== "client") return;
      this.issues.push(
        ...repairDoc(this.server, this.schema, this.recordId, changes, serverOrigin("repair"), {
          statusWritable: false,
        }),
      );
    });
    if (seedRows) transact(this.server, serverOrigin("load"), () => applyRowsToDoc(this.server, seedRows));
    for (let i = 0; i < clientCount; i++) {
      const doc = new Y.Doc();
      this.clients.push(doc);
      this.up.push([]);
      this.down.push([]);
      this.connected.push(true);
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(this.server), REMOTE);
      doc.on("update", (update: Uint8Array, origin: unknown) => {
        if (origin === REMOTE || !this.connected[i]) return;
        this.up[i]?.push({ update });
      });
    }
  }

  private deliverUp(i: number, m: Message): void {
    Y.applyUpdate(this.server, m.update, clientOrigin(`c${i}`));
  }

  pending(): number {
    return this.up.reduce((a, q) => a + q.length, 0) + this.down.reduce((a, q) => a + q.length, 0);
  }

  /** Delivers one queued message chosen at random; false when nothing is deliverable. */
  flushRandom(rng: RandomSource): boolean {
    const links: Array<[boolean, number]> = [];
    for (let i = 0; i < this.clients.length; i++) {
      if (!this.connected[i]) continue;
      if ((this.up[i]?.length ?? 0) > 0) links.push([true, i]);
      if ((this.down[i]?.length ?? 0) > 0) links.push([false, i]);
    }
    const link = rng.pick(links);
    if (!link) return false;
    const [isUp, i] = link;
    const m = (isUp ? this.up[i] : this.down[i])?.shift();
    if (!m) return false;
    if (isUp) this.deliverUp(i, m);
    else Y.applyUpdate(this.clients[i] as Y.Doc, m.update, REMOTE);
    return true;
  }

  flushAll(rng: RandomSource): void {
    while (this.flushRandom(rng));
  }

  /** Cuts a client off: queued messages are lost, as with a dropped socket. */
  partition(i: number): void {
    this.connected[i] = false;
    (this.up[i] as Message[]).length = 0;
    (this.down[i] as Message[]).length = 0;
  }

  /** Reconnects a client with the y-websocket handshake: both sides send what the other lacks. */
  heal(i: number): void {
    if (this.connected[i]) return;
    this.connected[i] = true;
    const doc = this.clients[i] as Y.Doc;
    const fromServer = Y.encodeStateAsUpdate(this.server, Y.encodeStateVector(doc));
    const fromClient = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(this.server));
    this.deliverUp(i, { update: fromClient });
    Y.applyUpdate(doc, fromServer, REMOTE);
  }

  healAll(): void {
    for (let i = 0; i < this.clients.length; i++) this.heal(i);
  }

  isConnected(i: number): boolean {
    return this.connected[i] === true;
  }
}
