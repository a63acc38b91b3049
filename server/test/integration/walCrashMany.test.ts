import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  parseDatasetInfo,
  readRows,
  withCustom,
  type DocContext,
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
 * The shared write-ahead journal under a real crash: many records commit in the same
 * group-commit rounds (one journal fsync each); the server process is SIGKILLed while rounds are
 * in flight, and every edit it confirmed, in every record, is there after the restart.
 */
const RECORDS = Array.from({ length: 40 }, (_, i) => `rec-${String(i).padStart(2, "0")}`);
const EDITS = 6;

interface Editor {
  readonly recordId: string;
  readonly client: LiveClient;
  readonly ctx: DocContext;
  readonly created: string[];
  readonly localUpdates: () => number;
}

async function editor(server: ServerProcess, recordId: string, schema: DocContext["schema"]): Promise<Editor> {
  const client = liveClient(server, recordId, `user-${recordId}`);
  await client.synced();
  const localUpdates = countLocalUpdates(client.doc);
  let n = 0;
  const ctx: DocContext = { doc: client.doc, schema, recordId, newId: () => `${recordId}-e${++n}` };
  return { recordId, client, ctx, created: [], localUpdates };
}

function edit(e: Editor, i: number): void {
  const { entityId } = createEntity(e.ctx, clientOrigin(e.client.provider.awareness.clientID.toString()), {
    entity: withCustom({}, { category: `c${i}` }),
    annotation: { table: "bboxes", row: { coords: [0.01 * (i % 50), 0.2, 0.05, 0.05] } },
  });
  e.created.push(entityId);
}

/** Confirmations count content frames, one of which is the sync-step-2 reply. */
function confirmedEntities(e: Editor): string[] {
  return e.created.slice(0, Math.max(0, e.client.confirmed() - 1));
}

describe("shared journal: crash with many records", () => {
  it("SIGKILL of the server while group-commit rounds of 40 records are in flight loses no confirmed edit in any record", async () => {
    const data = await buildDataDir(RECORDS);
    try {
      const server = await spawnServer(data.dataDir);
      const info = await getJson<Record<string, unknown>>(`${server.url}/datasets/${DS}/info`);
      const schema = datasetSchemaOf(parseDatasetInfo(info));
      const editors = await Promise.all(RECORDS.map((r) => editor(server, r, schema)));
      // Every client edits at once, in waves: each wave's frames reach the server together.
      let killed = false;
      for (let i = 0; i < EDITS && !killed; i++) {
        for (const e of editors) edit(e, i);
        if (i === 2) {
          // Kill once the first waves are confirmed somewhere while later ones are still in flight.
          await waitFor(() => editors.filter((e) => e.client.confirmed() >= 3).length >= 10, "first confirmations");
          for (const e of editors) edit(e, 100 + i);
          await server.kill("SIGKILL");
          killed = true;
        }
        await new Promise((r) => setImmediate(r));
      }
      const mustHave = new Map(editors.map((e) => [e.recordId, confirmedEntities(e)]));
      const unconfirmed = editors.reduce((n, e) => n + e.created.length - (mustHave.get(e.recordId)?.length ?? 0), 0);
      for (const e of editors) e.client.destroy();
      const confirmedTotal = [...mustHave.values()].reduce((n, ids) => n + ids.length, 0);
      expect(confirmedTotal).toBeGreaterThanOrEqual(30);
      // The kill landed mid-stream: some edits were never confirmed (the test would prove nothing otherwise).
      expect(unconfirmed).toBeGreaterThan(0);

      const journal = path.join(data.dataDir, ".tessera", "wal-journal");
      const segmentsLeft = (await readdir(journal)).filter((n) => n.endsWith(".twj"));
      expect(segmentsLeft.length).toBeGreaterThan(0);

      const restarted = await spawnServer(data.dataDir);
      try {
        const missing: string[] = [];
        for (const recordId of RECORDS) {
          const checker = liveClient(restarted, recordId, `checker-${recordId}`);
          await checker.synced();
          const inDoc = new Set(readRows(checker.doc, "entities").map((r) => r.id as string));
          for (const id of mustHave.get(recordId) ?? []) if (!inDoc.has(id)) missing.push(`${recordId}/${id}`);
          checker.destroy();
        }
        expect(missing, "confirmed edits missing after the restart").toEqual([]);
      } finally {
        await restarted.kill("SIGTERM");
      }
    } finally {
      await data.cleanup();
    }
  }, 120_000);
});
