import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  mulberry32,
  parseDatasetInfo,
  readRows,
  type DocContext,
  type Row,
  withCustom,
} from "@tessera/shared-crdt";
import {
  buildDataDir,
  countLocalUpdates,
  DS,
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type LiveClient,
  type ServerProcess,
} from "./support.js";

/**
 * Crash tests (docs/ARCHITECTURE.md §3 "Durability"): an edit the server confirmed is never lost, whatever
 * moment the server or the persist worker dies. `CRASH_RUNS` repeats the randomized server-kill
 * scenario (the extensive script runs ≥ 20).
 */
const RUNS = Number(process.env.CRASH_RUNS ?? 3);
const FIRST_SEED = Number(process.env.CRASH_FIRST_SEED ?? 1);
const RECORD = "rec-crash";

async function contextOf(server: ServerProcess, client: LiveClient, prefix: string): Promise<DocContext> {
  const info = await getJson<Record<string, unknown>>(`${server.url}/datasets/${DS}/info`);
  let n = 0;
  return {
    doc: client.doc,
    schema: datasetSchemaOf(parseDatasetInfo(info)),
    recordId: RECORD,
    newId: () => `${prefix}-${++n}`,
  };
}

interface Editor {
  readonly client: LiveClient;
  readonly created: string[];
  readonly localUpdates: () => number;
}

async function editor(server: ServerProcess, name: string): Promise<Editor & { ctx: DocContext }> {
  const client = liveClient(server, RECORD, name);
  await client.synced();
  const localUpdates = countLocalUpdates(client.doc);
  return { client, created: [], localUpdates, ctx: await contextOf(server, client, name) };
}

/** One edit = one transaction = one update frame: an entity with its box. */
function edit(e: Editor & { ctx: DocContext }, i: number): void {
  const { entityId } = createEntity(e.ctx, clientOrigin(e.client.provider.awareness.clientID.toString()), {
    entity: withCustom({}, { category: `c${i}` }),
    annotation: { table: "bboxes", row: { coords: [0.01 * (i % 90), 0.2, 0.05, 0.05] } },
  });
  e.created.push(entityId);
}

/**
 * The entities whose edit the server confirmed: confirmations count this connection's content
 * frames in order, one of which is the sync-step-2 reply, so `confirmed - 1` edits are durable.
 */
function confirmedEntities(e: Editor): string[] {
  return e.created.slice(0, Math.max(0, e.client.confirmed() - 1));
}

async function verifyAfterRestart(dataDir: string, mustHave: readonly string[], what: string): Promise<void> {
  const server = await spawnServer(dataDir);
  try {
    const checker = liveClient(server, RECORD, "checker");
    await checker.synced();
    const inDoc = new Set(readRows(checker.doc, "entities").map((r) => r.id as string));
    const missing = mustHave.filter((id) => !inDoc.has(id));
    expect(missing, `${what}: confirmed edits missing from the document`).toEqual([]);
    const docIds = [...inDoc].sort();
    checker.destroy();
    // After the flush (start-up recovery or the room's own), the rows hold the same entities.
    await waitFor(
      async () => {
        const page = await getJson<{ items: Row[] }>(
          `${server.url}/datasets/${DS}/entities?record_id=${RECORD}&limit=1000`,
        );
        return JSON.stringify(page.items.map((r) => r.id as string).sort()) === JSON.stringify(docIds);
      },
      `${what}: rows to equal the document after restart`,
      20_000,
    );
  } finally {
    await server.kill("SIGTERM");
  }
}

// The tests run concurrently, each on its own data directory and server process: most of their time is
// process starts and the restarts after a kill, which overlap.
describe.concurrent("crash safety with real processes", () => {
  for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
    it(`server SIGKILL at a random moment loses no confirmed edit (seed ${seed})`, async ({ expect }) => {
      const random = mulberry32(seed);
      const data = await buildDataDir([RECORD]);
      try {
        const server = await spawnServer(data.dataDir);
        const a = await editor(server, "alice");
        const b = await editor(server, "bob");
        const total = 8 + Math.floor(random() * 12);
        const mode = seed % 3; // 0: after clients closed, 1: mid-edits, 2: while the room is flushing
        const killAt = 1 + Math.floor(random() * total);
        let killed = false;
        for (let i = 0; i < total && !killed; i++) {
          edit(a, i);
          edit(b, i);
          if (mode === 1 && i + 1 >= killAt) {
            // Kill as soon as some of the edits so far are confirmed, others still in flight.
            await waitFor(() => a.client.confirmed() >= 2, "a first confirmation");
            await server.kill("SIGKILL");
            killed = true;
          }
          await new Promise((r) => setImmediate(r));
        }
        if (!killed) {
          await waitFor(
            () => a.client.confirmed() >= a.localUpdates() + 1 && b.client.confirmed() >= b.localUpdates() + 1,
            "all edits confirmed",
          );
          if (mode === 0) {
            a.client.destroy();
            b.client.destroy();
          } else {
            // Mode 2: the last client leaves, which starts the final flush; die during it.
            a.client.destroy();
          }
          await server.kill("SIGKILL");
        }
        const mustHave = [...confirmedEntities(a), ...confirmedEntities(b)];
        a.client.destroy();
        b.client.destroy();
        expect(mustHave.length).toBeGreaterThan(0);
        await verifyAfterRestart(data.dataDir, mustHave, `seed ${seed} mode ${mode}`);
      } finally {
        await data.cleanup();
      }
    });
  }

  it("the persist worker SIGKILLed mid-flush is restarted and the rows end equal to the document", async ({
    expect,
  }) => {
    const data = await buildDataDir([RECORD]);
    try {
      const marker = path.join(data.root, "persist-killed");
      const server = await spawnServer(data.dataDir, {
        TESSERA_TEST_PERSIST_KILL_AT_STEP: "3",
        TESSERA_TEST_PERSIST_KILL_MARKER: marker,
      });
      try {
        const a = await editor(server, "alice");
        for (let i = 0; i < 12; i++) edit(a, i);
        await waitFor(() => a.client.confirmed() >= a.localUpdates() + 1, "edits confirmed");
        a.client.destroy();
        await waitFor(() => existsSync(marker), "the persist worker to die mid-flush", 20_000);
        const rowsOf = async (resource: string) =>
          (await getJson<{ items: Row[] }>(`${server.url}/datasets/${DS}/${resource}?record_id=${RECORD}&limit=1000`))
            .items;
        await waitFor(
          async () =>
            (await rowsOf("entities")).length === a.created.length &&
            (await rowsOf("bboxes")).length === a.created.length,
          "rows to hold every entity and box after the worker restarted",
          20_000,
        );
        expect((await rowsOf("entities")).map((r) => r.id).sort()).toEqual([...a.created].sort());
        expect((await rowsOf("bboxes")).map((r) => r.entity_id).sort()).toEqual([...a.created].sort());
      } finally {
        await server.kill("SIGTERM");
      }
    } finally {
      await data.cleanup();
    }
  });
});
