import { afterAll, beforeAll, describe, it } from "vitest";
import type { Redis } from "ioredis";
import { CloseCode, mulberry32 } from "@tessera/shared-crdt";
import { redisKeys } from "@tessera/storage";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { buildDataDir, DS, liveClient, waitFor, type ServerProcess } from "../integration/support.js";
import {
  confirmedEntities,
  edit,
  editor,
  entityIds,
  leaseHolder,
  processIdOf,
  reconnectTo,
  spawnWeb,
  type Editor,
} from "./clusterSupport.js";

/**
 * Failover in the scaled mode (docs/ARCHITECTURE.md §6): the owner of a record dies (SIGKILL) or stalls
 * (SIGSTOP past its lease) while clients edit; the clients reconnect to the surviving process, which takes
 * the lease over and loads snapshot + stream; no confirmed edit is lost, and the stalled owner, once it runs
 * again, is fenced: it appends nothing. `CLUSTER_KILL_SEEDS` runs more seeds (default 3).
 */
const SEEDS = Number(process.env.CLUSTER_KILL_SEEDS ?? 3);
/** A dead process's heartbeat expires within 5 s; a stock client then needs a backoff round or two. */
const TAKEOVER_MS = 45_000;

/** Calls `onClose` with the close code of the provider's first connection that ends. */
function firstClose(e: Editor): Promise<number> {
  return new Promise((resolve) => {
    const listener = (event: { code: number } | null) => {
      e.client.provider.off("connection-close", listener);
      resolve(event?.code ?? 1006);
    };
    e.client.provider.on("connection-close", listener);
  });
}

// The tests run concurrently (each on its own record, with its own web processes): most of their time is
// waiting for a dead or stalled owner's heartbeat to expire, which overlaps.
describe.concurrent("scaled mode: failover", () => {
  let redis: RedisServer;
  let client: Redis;
  let data: Awaited<ReturnType<typeof buildDataDir>>;
  const started: ServerProcess[] = [];
  const spawn = async () => {
    const s = await spawnWeb(data.dataDir, redis.url);
    started.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedis();
    client = redis.client();
    data = await buildDataDir([...Array.from({ length: Math.max(SEEDS, 1) }, (_, i) => `r-kill-${i + 1}`), "r-pause"]);
  }, 60_000);

  afterAll(async () => {
    for (const s of started) if (s.alive()) s.child.kill("SIGCONT");
    await Promise.all(started.map((s) => s.stop()));
    await redis?.stop();
    await data?.cleanup();
  });

  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`SIGKILL of a record's owner under edits loses no confirmed edit; its clients resync on the survivor (seed ${seed})`, async ({
      expect,
    }) => {
      const rng = mulberry32(seed);
      const recordId = `r-kill-${seed}`;
      const [a, b] = [await spawn(), await spawn()];
      const onA = await editor(a, recordId, "ana");
      const onB = await editor(b, recordId, "ben");
      expect(await leaseHolder(client, { datasetId: DS, recordId })).toBe(await processIdOf(client, a.url));
      // What each connection had confirmed when it ended (the owner's death ends both).
      const mustHave: string[] = [];
      const closes = [onA, onB].map((e) =>
        firstClose(e).then((code) => {
          mustHave.push(...confirmedEntities(e));
          return code;
        }),
      );
      let editing = true;
      let i = 0;
      const loop = (async () => {
        while (editing) {
          edit(rng() < 0.5 ? onA : onB, i++);
          await new Promise((r) => setTimeout(r, 5 + Math.floor(rng() * 20)));
        }
      })();
      await waitFor(() => onA.client.confirmed() >= 3 && onB.client.confirmed() >= 3, "first confirmations");
      const extra = Math.floor(rng() * 30);
      await waitFor(() => i >= extra, "a few more edits in flight");
      await a.kill("SIGKILL");
      const [codeA, codeB] = await Promise.all(closes);
      editing = false;
      await loop;
      // The forwarded client was told to reconnect (4503: the owner went away), not to stop.
      expect(codeB).toBe(CloseCode.ownerLost);
      expect(codeA).toBe(1006);
      // The client of the dead process goes to the survivor (as a load balancer would send it).
      const again = reconnectTo(b, onA, "ana");
      try {
        await waitFor(() => again.synced && onB.client.provider.synced, "both clients resynced on B", TAKEOVER_MS);
        expect(await leaseHolder(client, { datasetId: DS, recordId })).toBe(await processIdOf(client, b.url));
        const all = [...onA.created, ...onB.created];
        await waitFor(
          () => all.every((id) => entityIds(onA.client.doc).has(id) && entityIds(onB.client.doc).has(id)),
          "both clients to converge",
          TAKEOVER_MS,
        );
        // A fresh client on the survivor: every edit confirmed before the kill is in the document.
        const checker = liveClient(b, recordId, "checker");
        try {
          await checker.synced();
          const inDoc = entityIds(checker.doc);
          expect(mustHave.length).toBeGreaterThan(0);
          expect(mustHave.filter((id) => !inDoc.has(id))).toEqual([]);
        } finally {
          checker.destroy();
        }
      } catch (err) {
        console.log("B LOGS", b.logs().slice(-6000), "A LOGS", a.logs().slice(-3000));
        throw err;
      } finally {
        again.destroy();
        onB.client.destroy();
        await b.stop();
      }
    }, 120_000);
  }

  it("a paused owner (SIGSTOP past its lease, then SIGCONT) is fenced: it appends nothing after the takeover and its clients are told to reconnect", async ({
    expect,
  }) => {
    const recordId = "r-pause";
    const key = { datasetId: DS, recordId };
    const [a, b] = [await spawn(), await spawn()];
    const onA = await editor(a, recordId, "ana");
    const closed = firstClose(onA);
    // This client must not reconnect on its own: what it sent to the stalled owner stays unconfirmed.
    onA.client.provider.on("connection-close", () => (onA.client.provider.shouldConnect = false));
    edit(onA, 0);
    edit(onA, 1);
    await waitFor(() => onA.client.confirmed() >= 3, "the first edits confirmed by A");
    // Signals that do not end the process: sent directly (`ServerProcess.kill` waits for an exit).
    a.child.kill("SIGSTOP");
    try {
      // Sent while A is stopped: they wait in A's socket buffer.
      edit(onA, 2);
      edit(onA, 3);
      const stalled = onA.created.slice(2);
      // A client on B: B takes the record over once A's heartbeat expired, and loads snapshot + stream.
      const onB = await editor(b, recordId, "ben", TAKEOVER_MS);
      try {
        expect(await leaseHolder(client, key)).toBe(await processIdOf(client, b.url));
        expect([...entityIds(onB.client.doc)]).toEqual(expect.arrayContaining(onA.created.slice(0, 2)));
        edit(onB, 0);
        await waitFor(() => onB.client.confirmed() >= 2, "B's edit confirmed by B");
        const posBefore = await client.get(redisKeys().pos(key));
        a.child.kill("SIGCONT");
        expect(await closed).toBe(CloseCode.ownerLost);
        expect(a.logs()).toMatch(/dropping a record room, (its lease was lost|an append was fenced)/);
        // A appended nothing after the takeover: no position was handed out, and B never saw the stalled edits.
        expect(await client.get(redisKeys().pos(key))).toBe(posBefore);
        expect(onA.client.confirmed()).toBe(3);
        const inB = entityIds(onB.client.doc);
        expect(stalled.filter((id) => inB.has(id))).toEqual([]);
        expect(await leaseHolder(client, key)).toBe(await processIdOf(client, b.url));
        // A keeps serving: a new client of A is forwarded to B, the owner now.
        const late = await editor(a, recordId, "late");
        expect(entityIds(late.client.doc).has(onB.created[0]!)).toBe(true);
        late.client.destroy();
      } finally {
        onB.client.destroy();
      }
    } finally {
      a.child.kill("SIGCONT");
      onA.client.provider.destroy();
    }
  }, 120_000);
});
