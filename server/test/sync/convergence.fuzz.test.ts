import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  applyRowsToDoc,
  checkDoc,
  CloseCode,
  PERSISTENCE_ORIGIN,
  readRecord,
  restOrigin,
  rowsOfDoc,
  transact,
} from "@tessera/shared-crdt";
import { Connection } from "../../src/sync/Connection.js";
import { RoomEditError } from "../../src/sync/errors.js";
import type { Identity } from "../../src/sync/identity.js";
import { resolveLimits } from "../../src/sync/limits.js";
import { RecordRoom } from "../../src/sync/RecordRoom.js";
import type { Logger } from "../../src/logger.js";
import { RandomSource } from "../../../shared-crdt/test/support/RandomSource.js";
import { fullSchema } from "../../../shared-crdt/test/support/schema.js";
import { contextFor, randomOp } from "../../../shared-crdt/test/support/ops.js";
import { FuzzClient, FuzzClock, FuzzLog, FuzzPersister, Link, MemorySocket, turn } from "./support/fuzzWorld.js";

/**
 * SPEC D-CONVERGE, driven through the REAL record room: `RecordRoom`, `Connection` and its intake
 * queue run unchanged over in-memory sockets, with a seeded clock, a log whose fsyncs (and
 * failures) the seed decides, and a seeded network (delivery order across links, partitions,
 * reconnects, late joins, back-pressure). Every seed replays exactly.
 */

/** 20 by default: about the run time of the old shared-crdt fuzzer's 40 (each seed now runs the real room). */
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 20);
const STEPS = Number(process.env.FUZZ_STEPS ?? 120);
const FIRST_SEED = Number(process.env.FUZZ_FIRST_SEED ?? 1);
const KEY = { datasetId: "fuzz", recordId: "rec1" };
/** Close codes the room may use on these clients: too many repaired updates in a minute. */
const EXPECTED_CLOSES: ReadonlySet<number> = new Set([CloseCode.tooManyInvalid]);
/** The only error a run may log: the simulated disk errors it injects. */
const EXPECTED_ERRORS: ReadonlySet<string> = new Set(["log append failed; retrying"]);

function isContent(frame: Uint8Array): boolean {
  return frame[0] === 0 && frame[1] !== 0;
}

async function run(seed: number) {
  const rng = new RandomSource(seed);
  const clock = new FuzzClock(new RandomSource(seed * 7919 + 17));
  const schema = fullSchema();
  const limits = resolveLimits({
    intakeBatchFrames: 1 + rng.int(8),
    intakePauseFrames: 2 + rng.int(30),
    intakeSliceMs: 10,
  });
  const doc = new Y.Doc({ gc: true });
  doc.clientID = 1 + rng.int(0x3fffffff);
  transact(doc, PERSISTENCE_ORIGIN, () =>
    applyRowsToDoc(doc, { record: { id: "rec1", split: "train", status: "inProgress", comment: "" }, tables: {} }),
  );
  const log = new FuzzLog();
  const persister = new FuzzPersister(log, Y.encodeStateAsUpdate(doc));
  const logs: Array<{ level: string; message: string }> = [];
  const logger: Logger = {
    info: () => undefined,
    warn: (message) => void logs.push({ level: "warn", message }),
    error: (message) => void logs.push({ level: "error", message }),
  };
  const room = new RecordRoom({
    key: KEY,
    doc,
    schema: () => schema,
    log,
    persister,
    clock,
    limits,
    logger,
    emit: () => undefined,
    random: () => rng.next(),
  });

  const ops: string[] = [];
  const links: Link[] = [];
  const clients = Array.from(
    { length: 2 + rng.int(3) },
    (_, i) => new FuzzClient(i, (i + 1) * 0x1000000 + rng.int(0xffffff)),
  );
  const joins: Array<{ link: Link; at: number }> = [];

  const connect = (client: FuzzClient, step: number): void => {
    const link = new Link(client);
    const identity: Identity = {
      id: `u${client.index}`,
      name: `user ${client.index}`,
      role: "annotator",
      tessera: true,
    };
    const conn = new Connection(new MemorySocket(link), identity, KEY, limits, clock, logger);
    link.conn = conn;
    conn.onClose(() => room.leave(conn));
    links.push(link);
    client.open(link);
    // The record "loads" for a while: frames queue in the intake until the room admits the connection.
    joins.push({ link, at: step + rng.int(3) });
  };

  const admit = (step: number): void => {
    for (const j of joins.splice(0)) {
      if (j.at > step) joins.push(j);
      else if (j.link.conn?.isOpen) {
        j.link.joined = true;
        room.join(j.link.conn);
      }
    }
  };

  /** The socket's end reaches the server (and, for a server close, the client). */
  const end = (link: Link): void => {
    link.state = "closed";
    if (link.client.link === link) link.client.disconnected();
    link.conn?.ended();
  };

  /** One network event chosen by the seed; false when nothing could happen. */
  const network = (): boolean => {
    const choices: Array<() => void> = [];
    for (const link of links) {
      const conn = link.conn;
      if (!conn) continue;
      if (link.state === "open" && link.serverReading && link.up.length > 0) {
        choices.push(() => {
          const frame = link.up.shift()!;
          if (conn.isOpen && isContent(frame)) link.contentDelivered++;
          conn.receive(frame, true);
        });
      }
      if ((link.state === "open" || link.state === "closing") && link.down.length > 0) {
        choices.push(() => link.client.receive(link.down.shift()!));
      }
      if (link.state === "closing" && link.down.length === 0) choices.push(() => end(link));
      if (link.state === "dead") choices.push(() => end(link));
    }
    const pick = rng.pick(choices);
    if (!pick) return false;
    pick();
    return true;
  };

  for (let step = 0; step < STEPS; step++) {
    admit(step);
    const client = clients[rng.int(clients.length)]!;
    const r = rng.next();
    if (r < 0.55) {
      if (client.synced) ops.push(`c${client.index}:${randomOp(contextFor(client.doc, schema, "rec1", rng), rng)}`);
    } else if (r < 0.6) {
      const link = client.link;
      if (link?.state === "open") {
        // The client drops its socket: what is in flight is lost; the server notices later.
        link.state = "dead";
        link.up.length = 0;
        link.down.length = 0;
        client.disconnected();
        ops.push(`c${client.index}:drop`);
      }
    } else if (r < 0.68) {
      if (!client.link) {
        connect(client, step);
        ops.push(`c${client.index}:connect`);
      }
    } else if (r < 0.7) {
      try {
        room.edit(restOrigin("rest"), "rest", (d) =>
          ops.push(`rest:${randomOp(contextFor(d, schema, "rec1", rng), rng)}`),
        );
      } catch (err) {
        if (!(err instanceof RoomEditError)) throw err;
        ops.push("rest:refused");
      }
    } else if (r < 0.71) {
      log.failures = 1 + rng.int(2);
      ops.push("disk:fail");
    }
    for (let k = rng.int(6); k > 0; k--) {
      const e = rng.next();
      if (e < 0.75) network();
      else if (e < 0.9) log.fsync();
      else await clock.advance(rng.int(60));
    }
    for (let k = 1 + rng.int(2); k > 0; k--) await turn();
  }

  // Everyone reconnects and the network drains: nothing left in flight, every append durable.
  const drain = async (): Promise<void> => {
    let idle = 0;
    for (let round = 0; idle < 3; round++) {
      if (round > 10_000) throw new Error(`seed ${seed}: the room never went quiet`);
      let moved = false;
      for (const c of clients) {
        if (!c.link) {
          connect(c, 0);
          moved = true;
        }
      }
      admit(Number.MAX_SAFE_INTEGER);
      while (network()) moved = true;
      if (log.unsynced > 0) {
        log.fsync();
        moved = true;
      }
      await turn();
      await turn();
      // An append waiting to be retried is still in flight.
      if (!room.durable.idle) moved = true;
      await clock.advance(room.durable.idle ? 25 : limits.retryBaseMs);
      idle = moved ? 0 : idle + 1;
    }
  };
  await drain();
  // The flush timers fire; what the room stored is what a restart would load.
  await clock.advance(limits.flushMaxWaitMs);
  await drain();
  const reloaded = await persister.reload(KEY);
  const pauses = links.reduce((n, l) => n + l.pauses, 0);
  return { room, doc, clients, links, log, persister, reloaded, logs, ops, schema, pauses };
}

describe("convergence of the real record room over a seeded network (SPEC D-CONVERGE)", () => {
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    it(`seed ${seed}`, async () => {
      const { room, doc, clients, links, reloaded, logs, ops, schema } = await run(seed);
      const context = `seed ${seed}; ops: ${ops.join(" ")}`;
      const expected = rowsOfDoc(doc);
      // every client replica equals the server's document
      for (const c of clients) expect(rowsOfDoc(c.doc), `${context}; client ${c.index}`).toEqual(expected);
      // repaired: every row valid, no dangling references, status untouched by clients
      expect(checkDoc(doc, schema, "rec1"), context).toEqual([]);
      expect(readRecord(doc).status, context).toBe("inProgress");
      // durable: the snapshot plus the log tail rebuilds the same rows, and nothing is left unflushed
      expect(rowsOfDoc(reloaded), context).toEqual(expected);
      expect(room.quiescent, context).toBe(true);
      // rows → document → rows is the identity
      const fromRows = new Y.Doc();
      transact(fromRows, PERSISTENCE_ORIGIN, () => applyRowsToDoc(fromRows, expected));
      expect(rowsOfDoc(fromRows), context).toEqual(expected);
      // confirmations: increasing, one per content frame the room got, on every connection still open
      for (const link of links) {
        if (link.closeCode !== null)
          expect(EXPECTED_CLOSES.has(link.closeCode), `${context}; close ${link.closeCode}`).toBe(true);
        if (link.state !== "open") continue;
        const counts = link.client.confirmed;
        for (let i = 1; i < counts.length; i++) expect(counts[i]!, context).toBeGreaterThan(counts[i - 1]!);
        expect(counts[counts.length - 1] ?? 0, `${context}; client ${link.client.index}`).toBe(link.contentDelivered);
      }
      expect(
        logs.filter((l) => l.level === "error" && !EXPECTED_ERRORS.has(l.message)),
        context,
      ).toEqual([]);
      room.destroy();
    });
  }

  it("a seed replays exactly (same ops, same document, same confirmations)", async () => {
    const runs = [await run(7), await run(7)];
    const [a, b] = runs.map((r) => ({
      ops: r.ops,
      update: Y.encodeStateAsUpdate(r.doc),
      confirmed: r.clients.map((c) => c.confirmed),
      appends: r.log.appends,
    }));
    for (const r of runs) r.room.destroy();
    expect(b).toEqual(a);
  });

  it("the fuzzer exercises the room (sanity)", async () => {
    let entities = 0;
    let repairs = 0;
    let pauses = 0;
    let retries = 0;
    let rest = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = await run(seed);
      entities += (rowsOfDoc(r.doc).tables.entities ?? []).length;
      repairs += r.clients.reduce((n, c) => n + c.tessera.filter((m) => m.kind === "rejected").length, 0);
      pauses += r.pauses;
      retries += r.logs.filter((l) => l.message === "log append failed; retrying").length;
      rest += r.ops.filter((o) => o.startsWith("rest:") && o !== "rest:refused").length;
      r.room.destroy();
    }
    expect(entities).toBeGreaterThan(20);
    expect(repairs).toBeGreaterThan(5);
    expect(pauses).toBeGreaterThan(0);
    expect(retries).toBeGreaterThan(0);
    expect(rest).toBeGreaterThan(0);
  });
});
