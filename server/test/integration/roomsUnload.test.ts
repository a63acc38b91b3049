import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clientOrigin,
  createEntity,
  customCell,
  datasetSchemaOf,
  parseDatasetInfo,
  readRow,
  withCustom,
} from "@tessera/shared-crdt";
import { buildDataDir, DS, getJson, liveClient, spawnServer, waitFor, type ServerProcess } from "./support.js";

const RECORDS = ["rec-a", "rec-b", "rec-c"];
let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess;

beforeAll(async () => {
  data = await buildDataDir(RECORDS);
  server = await spawnServer(data.dataDir);
});

afterAll(async () => {
  await server?.kill("SIGTERM");
  await data?.cleanup();
});

/** Record rooms the server process holds in memory (`/health`'s `Tessera-Rooms-Loaded` header). */
async function roomsLoaded(): Promise<number> {
  const res = await fetch(`${server.url}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" }); // Pixano's body, unchanged
  const header = res.headers.get("tessera-rooms-loaded");
  expect(header).not.toBeNull();
  return Number(header);
}

describe("rooms unload after everyone left (memory)", () => {
  it("/health counts the rooms in memory; all unload within 30 s of the last client leaving, edits kept", async () => {
    expect(await roomsLoaded()).toBe(0);
    const clients = RECORDS.map((r, i) => liveClient(server, r, `user${i}`));
    await Promise.all(clients.map((c) => c.synced()));
    expect(await roomsLoaded()).toBe(3);

    const info = await getJson<Record<string, unknown>>(`${server.url}/datasets/${DS}/info`);
    const schema = datasetSchemaOf(parseDatasetInfo(info));
    const ids = clients.map((c, i) => {
      const ctx = { doc: c.doc, schema, recordId: RECORDS[i]!, newId: () => `ent-${i}` };
      return createEntity(ctx, clientOrigin(`local-${i}`), { entity: withCustom({}, { category: `cat${i}` }) })
        .entityId;
    });
    await waitFor(() => clients.every((c) => c.confirmed() > 0), "every edit durable", 20_000);

    for (const c of clients) c.destroy();
    const left = Date.now();
    await waitFor(async () => (await roomsLoaded()) === 0, "every room unloaded", 30_000);
    const unloadedMs = Date.now() - left;
    console.log(`3 rooms unloaded ${unloadedMs} ms after the last client left`);
    expect(unloadedMs).toBeLessThan(30_000);

    // A cold load afterwards (from the flushed snapshot) still has the edit.
    const again = liveClient(server, RECORDS[1]!, "back");
    await again.synced();
    expect(customCell(readRow(again.doc, "entities", ids[1]!), "category")).toBe("cat1");
    again.destroy();
  }, 60_000);
});
