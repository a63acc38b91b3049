import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as decoding from "lib0/decoding";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  MessageType,
  mulberry32,
  parseDatasetInfo,
  readRows,
  type DatasetSchema,
  type Row,
  type TesseraMessage,
  withCustom,
} from "@tessera/shared-crdt";
import { redisKeys } from "@tessera/storage";
import type { Redis } from "ioredis";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { buildDataDir, DS, getJson, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";

/**
 * Failover of the scaled mode (docs/ARCHITECTURE.md §6 "Failover"): a real redis-server (AOF,
 * `appendfsync always`), three web processes on one DATA_DIR, each with its persist worker child,
 * and stock y-websocket clients editing one record from different processes. Under load, at
 * seeded random moments, the web process one client is on is SIGKILLed, and so is a persist worker.
 *
 * Every connection is a fresh client (new Y.Doc): when its socket closes — its process died, or
 * the process it was forwarded through lost the record's owner — it is not resent by the client,
 * so an edit can only survive if the cluster kept it. The client reconnects (to a live process)
 * with a new document and resyncs. An edit counts as confirmed when the server's type-100
 * `confirmed` count on its connection covers it (the first content frame of a connection is the
 * client's sync step 2). At the end, every confirmed edit must be in the record's document as a
 * surviving process serves it, and in the Pixano rows once the record is folded.
 *
 * `FAILOVER_SEEDS` runs that many seeds (the must-show asks for 20), `FAILOVER_FIRST_SEED` the first.
 */
const SEEDS = Number(process.env.FAILOVER_SEEDS ?? 2);
const FIRST_SEED = Number(process.env.FAILOVER_FIRST_SEED ?? 1);
const RECORD = "rec-failover";
const WEB = 3;
const CLIENTS = 3;
const ROUNDS = 60;
/** The pace of the load: one edit per connected client every this many ms. */
const ROUND_MS = 30;

/** One websocket connection of a client: its own document, the edits made on it and their confirmation. */
interface Session {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly server: ServerProcess;
  readonly created: string[];
  confirmed: number;
  closed: boolean;
}

class FailoverClient {
  readonly sessions: Session[] = [];
  private attempts = 0;
  private stopped = false;
  private n = 0;
  private pendingReconnect: NodeJS.Timeout | null = null;

  constructor(
    readonly name: string,
    private readonly schema: DatasetSchema,
    private readonly pickServer: (previous: ServerProcess | null) => ServerProcess,
    first: ServerProcess,
  ) {
    this.open(first);
  }

  get current(): Session | undefined {
    return this.sessions.at(-1);
  }

  /** Connected, synced and not closed: edits made now go out on this connection. */
  ready(): boolean {
    const s = this.current;
    return s !== undefined && !s.closed && s.provider.wsconnected && s.provider.synced;
  }

  private open(server: ServerProcess): void {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${server.wsUrl}/sync/${DS}`, RECORD, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { name: this.name, tessera: "1" },
      disableBc: true,
    });
    const session: Session = { doc, provider, server, created: [], confirmed: 0, closed: false };
    provider.messageHandlers[MessageType.tessera] = (_encoder, decoder) => {
      const msg = JSON.parse(decoding.readVarString(decoder)) as TesseraMessage;
      if (msg.kind === "confirmed" && !session.closed) session.confirmed = Math.max(session.confirmed, msg.count);
    };
    provider.on("sync", (synced: boolean) => {
      if (synced) this.attempts = 0;
    });
    // The connection is over (process killed, forwarding broken, refused): this document is dropped with
    // whatever it did not get confirmed, and a new client connects, backing off as a browser's provider does.
    provider.on("connection-close", () => this.end(session));
    this.sessions.push(session);
  }

  private end(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    session.provider.destroy();
    if (this.stopped) return;
    const delay = Math.min(1000, 50 * 2 ** this.attempts++);
    this.pendingReconnect = setTimeout(() => {
      this.pendingReconnect = null;
      if (!this.stopped) this.open(this.pickServer(session.server));
    }, delay);
  }

  /** Moves to another process now (its process was killed: the socket's close may take a moment to show). */
  switchAway(): void {
    const s = this.current;
    if (s) this.end(s);
  }

  /** One edit (one transaction = one update frame): an entity with its box. */
  edit(round: number): void {
    const s = this.current;
    if (!s || !this.ready()) return;
    const ctx = { doc: s.doc, schema: this.schema, recordId: RECORD, newId: () => `${this.name}-${++this.n}` };
    const { entityId } = createEntity(ctx, clientOrigin(String(s.doc.clientID)), {
      entity: withCustom({}, { category: `r${round}` }),
      annotation: { table: "bboxes", row: { coords: [0.01 * (round % 90), 0.2, 0.05, 0.05] } },
    });
    s.created.push(entityId);
  }

  /** The current connection has confirmed everything sent on it (its step 2 and every edit). */
  settled(): boolean {
    const s = this.current;
    return s !== undefined && this.ready() && s.confirmed >= s.created.length + 1;
  }

  /** Edits whose confirmation came back on their own connection. */
  confirmedEntities(): string[] {
    return this.sessions.flatMap((s) => s.created.slice(0, Math.max(0, s.confirmed - 1)));
  }

  stop(): void {
    this.stopped = true;
    if (this.pendingReconnect) clearTimeout(this.pendingReconnect);
    for (const s of this.sessions) {
      s.closed = true;
      s.provider.destroy();
      s.doc.destroy();
    }
  }
}

/** The children of a process, from `/proc/<pid>/task/<tid>/children`. */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  const tids = await readdir(`/proc/${pid}/task`).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return []; // the process ended meanwhile
    throw err;
  });
  for (const tid of tids) {
    const text = await readFile(`/proc/${pid}/task/${tid}/children`, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ESRCH") return ""; // the thread or process ended meanwhile
      throw err;
    });
    for (const c of text.split(/\s+/)) if (c !== "") out.push(Number(c));
  }
  return out;
}

/** The pid of a web process's persist worker child (its command line names the persist worker). */
async function persistWorkerOf(server: ServerProcess): Promise<number | null> {
  const pid = server.child.pid;
  if (pid === undefined) return null;
  for (const child of await childrenOf(pid)) {
    const cmdline = await readFile(`/proc/${child}/cmdline`, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return ""; // exited between the listing and the read
      throw err;
    });
    if (/persist/i.test(cmdline)) return child;
  }
  return null;
}

function entityIds(doc: Y.Doc): Set<string> {
  return new Set(readRows(doc, "entities").map((r) => r.id as string));
}

async function rowIds(server: ServerProcess, resource: string, column: string): Promise<string[]> {
  const page = await getJson<{ items: Row[] }>(
    `${server.url}/datasets/${DS}/${resource}?record_id=${RECORD}&limit=1000`,
  );
  return page.items.map((r) => r[column] as string).sort();
}

/** Every key matching `pattern` (SCAN, so a busy server is not blocked). */
async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
    cursor = next;
    out.push(...keys);
  } while (cursor !== "0");
  return out.sort();
}

/**
 * What the fold side holds when the rows lag the document, so a failure explains itself: the jobs
 * stream and its group (pending entries with their consumer, idle time and deliveries; consumers),
 * the dataset fold locks and their holders' liveness, the live processes, the record's lease, log
 * (length, first and last entries with their age), position and membership of the logs set, and the
 * tail of each web process's log (its persist worker child's `fold` lines included).
 */
async function foldDiagnostics(redis: Redis, servers: readonly ServerProcess[]): Promise<string> {
  const keys = redisKeys();
  const key = { datasetId: DS, recordId: RECORD };
  const now = Date.now();
  const out: string[] = [`--- fold diagnostics at ${new Date(now).toISOString()} ---`];
  const show = (label: string, value: unknown) => out.push(`${label}: ${JSON.stringify(value)}`);
  show("jobs XLEN", await redis.xlen(keys.jobs));
  show("jobs (first 20)", await redis.xrange(keys.jobs, "-", "+", "COUNT", 20));
  show("jobs XPENDING summary", await redis.call("XPENDING", keys.jobs, "persist").catch(String));
  show(
    "jobs XPENDING (id, consumer, idle ms, deliveries)",
    await redis.call("XPENDING", keys.jobs, "persist", "-", "+", 50).catch(String),
  );
  show("group consumers", await redis.call("XINFO", "CONSUMERS", keys.jobs, "persist").catch(String));
  for (const lock of await scanKeys(redis, `${keys.prefix}fold:*`)) {
    const holder = await redis.get(lock);
    const alive = holder === null ? null : (await redis.exists(keys.proc(holder))) === 1;
    show(`fold lock ${lock}`, { holder, holderAlive: alive, ttlMs: await redis.pttl(lock) });
  }
  for (const proc of await scanKeys(redis, `${keys.prefix}proc:*`)) show(proc, await redis.get(proc));
  show("record lease", { value: await redis.get(keys.lease(key)), ttlMs: await redis.pttl(keys.lease(key)) });
  show("record pos", await redis.get(keys.pos(key)));
  show("logs set", await redis.smembers(keys.logs));
  const logLen = await redis.xlen(keys.log(key));
  const ends = [
    ...(await redis.xrange(keys.log(key), "-", "+", "COUNT", 1)),
    ...(await redis.xrevrange(keys.log(key), "+", "-", "COUNT", 1)),
  ].map(([id, fields]) => {
    const t = Number(fields[fields.indexOf("t") + 1]);
    return { id, ageMs: now - t };
  });
  show("record log", { length: logLen, firstAndLast: ends });
  for (const [i, s] of servers.entries()) {
    const lines = s
      .logs()
      .split("\n")
      .filter((l) => /persist|fold|flush|room|lease|orphan|claimed|handed|compaction/i.test(l));
    out.push(`web ${i} (pid ${s.child.pid}, ${s.alive() ? "alive" : "dead"}), last persist lines:`);
    out.push(...lines.slice(-25).map((l) => `  ${l.slice(0, 400)}`));
  }
  return out.join("\n");
}

/** Pids of the persist workers registered in the cluster (`<prefix>proc:*` of kind `persist`). */
async function persistPids(redis: Redis): Promise<number[]> {
  const keys = redisKeys();
  const out: number[] = [];
  for (const proc of await scanKeys(redis, `${keys.prefix}proc:*`)) {
    const text = await redis.get(proc);
    if (text === null) continue; // expired meanwhile
    const info = JSON.parse(text) as { kind?: unknown; pid?: unknown };
    if (info.kind === "persist" && typeof info.pid === "number") out.push(info.pid);
  }
  return out;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

describe("scaled mode failover with real processes and a real redis-server", () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    it(`SIGKILL of a client's web process and of a persist worker under load loses no confirmed edit (seed ${seed})`, async () => {
      const random = mulberry32(seed);
      // One Redis for the file, a key prefix per seed would need a server option: flush between seeds instead.
      const admin = redis.client();
      await admin.flushall();
      const data = await buildDataDir([RECORD]);
      const servers: ServerProcess[] = [];
      const clients: FailoverClient[] = [];
      try {
        // The persist workers log each fold (`fold` lines), which the diagnostics below show when rows lag.
        for (let i = 0; i < WEB; i++)
          servers.push(await spawnServer(data.dataDir, { TESSERA_REDIS_URL: redis.url, TESSERA_PERSIST_TRACE: "1" }));
        const alive = () => servers.filter((s) => s.alive());
        const pick = (previous: ServerProcess | null): ServerProcess => {
          const live = alive().filter((s) => s !== previous);
          const choice = live[Math.floor(random() * live.length)] ?? alive()[0];
          if (!choice) throw new Error("no web process left");
          return choice;
        };
        const info = await getJson<Record<string, unknown>>(`${servers[0]?.url}/datasets/${DS}/info`);
        const schema = datasetSchemaOf(parseDatasetInfo(info));
        for (let c = 0; c < CLIENTS; c++)
          clients.push(new FailoverClient(`client${c}`, schema, pick, servers[c % WEB] as ServerProcess));
        await waitFor(() => clients.every((c) => c.ready()), "every client synced on its first process", 30_000);

        const killWebAt = 5 + Math.floor(random() * (ROUNDS - 15));
        const killPersistAt = 5 + Math.floor(random() * (ROUNDS - 15));
        let webKilled: ServerProcess | null = null;
        let persistKilled: number | null = null;
        for (let round = 0; round < ROUNDS; round++) {
          for (const c of clients) c.edit(round);
          if (round === killWebAt) {
            // The process of a client chosen at random (it may or may not own the record).
            const victimClient = clients[Math.floor(random() * clients.length)] as FailoverClient;
            const victim = victimClient.current?.server ?? (servers[0] as ServerProcess);
            await victim.kill("SIGKILL");
            webKilled = victim;
            for (const c of clients) if (c.current?.server === victim) c.switchAway();
          }
          if (round === killPersistAt) {
            // A web process's persist worker child (started with the server in scaled mode), chosen at random.
            const worker = await waitFor(
              async () => {
                const found = (await Promise.all(alive().map((s) => persistWorkerOf(s)))).filter(
                  (pid): pid is number => pid !== null,
                );
                return found.length > 0 ? (found[Math.floor(random() * found.length)] as number) : null;
              },
              "a persist worker child to kill",
              20_000,
            );
            process.kill(worker, "SIGKILL");
            persistKilled = worker;
          }
          // Load pacing (a client edits at a steady rate), not a wait for a result.
          await new Promise((r) => setTimeout(r, ROUND_MS));
        }
        expect(webKilled).not.toBeNull();
        expect(persistKilled).not.toBeNull();

        // Everything sent on each client's current connection confirmed (the owner may be changing hands).
        await waitFor(() => clients.every((c) => c.settled()), "every client's current connection settled", 60_000);
        const mustHave = clients.flatMap((c) => c.confirmedEntities());
        const made = clients.reduce((a, c) => a + c.sessions.reduce((b, s) => b + s.created.length, 0), 0);
        expect(mustHave.length).toBeGreaterThan(0);
        const sessions = clients.reduce((a, c) => a + c.sessions.length, 0);
        console.log(
          `failover seed ${seed}: web process killed at round ${killWebAt}, persist worker at round ${killPersistAt}; ` +
            `${made} edits made over ${sessions} connections, ${mustHave.length} confirmed on their connection`,
        );
        // The clients resynced: each one's current document holds every confirmed edit of every client.
        for (const c of clients) {
          const doc = c.current?.doc;
          expect(doc).toBeDefined();
          await waitFor(
            () => mustHave.every((id) => doc && entityIds(doc).has(id)),
            `${c.name}'s document to hold every confirmed edit`,
            20_000,
          );
        }
        for (const c of clients) c.stop();

        // A fresh reader on a surviving process: the record's document as the cluster serves it.
        const survivor = pick(null);
        const reader = new FailoverClient("reader", schema, () => survivor, survivor);
        clients.push(reader);
        await waitFor(() => reader.ready(), "the reader synced", 30_000);
        const inDoc = entityIds(reader.current?.doc ?? new Y.Doc());
        const missing = mustHave.filter((id) => !inDoc.has(id));
        expect(missing, `seed ${seed}: confirmed edits missing from the document (${made} made)`).toEqual([]);
        reader.stop();

        // After the fold (the record is unloaded once nobody is on it), the Pixano rows hold the same entities
        // and their boxes (the fold writes one table after the other: both are awaited).
        const docIds = JSON.stringify([...inDoc].sort());
        const leftAt = Date.now();
        try {
          await waitFor(
            async () =>
              JSON.stringify(await rowIds(survivor, "entities", "id")) === docIds &&
              JSON.stringify(await rowIds(survivor, "bboxes", "entity_id")) === docIds,
            `seed ${seed}: the entities and bboxes rows to equal the document after the fold`,
            60_000,
          );
        } catch (err) {
          const rowsNow = await rowIds(survivor, "entities", "id");
          const missingRows = [...inDoc].filter((id) => !rowsNow.includes(id));
          const extraRows = rowsNow.filter((id) => !inDoc.has(id));
          const detail =
            `rows lag the document ${Date.now() - leftAt} ms after everyone left: ${missingRows.length} entities ` +
            `missing from the rows (${missingRows.slice(0, 10).join(", ")}), ${extraRows.length} extra ` +
            `(${extraRows.slice(0, 10).join(", ")}); ${inDoc.size} in the document, ${rowsNow.length} rows\n` +
            (await foldDiagnostics(admin, servers));
          console.log(detail);
          throw new Error(`${(err as Error).message}\n${detail}`, { cause: err });
        }
        console.log(`seed ${seed}: rows equal the document ${Date.now() - leftAt} ms after everyone left`);
        const rows = new Set(await rowIds(survivor, "entities", "id"));
        expect(mustHave.filter((id) => !rows.has(id))).toEqual([]);

        // No persist worker outlives the web processes: one whose parent was killed while it loaded
        // used to live on, and took the jobs of the next seeds' clusters (same Redis) with this
        // seed's DATA_DIR, deleted by then.
        const workers = await persistPids(admin);
        for (const s of servers) await s.kill("SIGTERM");
        await waitFor(
          () => workers.every((pid) => !running(pid)),
          `every persist worker (${workers.join(", ")}) to end with the web processes`,
          20_000,
        );
      } finally {
        for (const c of clients) c.stop();
        for (const s of servers) await s.kill("SIGTERM");
        // Workers this seed's servers started and that outlived them (the check above failed): ended by pid.
        for (const pid of await persistPids(admin)) if (running(pid)) process.kill(pid, "SIGKILL");
        admin.disconnect();
        await data.cleanup();
      }
    }, 180_000);
  }
});
