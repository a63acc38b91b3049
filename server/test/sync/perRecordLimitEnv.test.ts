import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { syncLimitsFromEnv } from "../../src/sync/limitsEnv.js";
import { DEFAULT_LIMITS } from "../../src/sync/limits.js";
import {
  buildDataDir,
  DS,
  liveClient,
  spawnServer,
  type LiveClient,
  type ServerProcess,
} from "../integration/support.js";

/** What the upgrade of one more sync connection to `recordId` is answered with: an HTTP status, or "open". */
function upgrade(server: ServerProcess, recordId: string): Promise<number | "open"> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}/sync/${DS}/${recordId}`);
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once("open", () => {
      resolve("open");
      ws.close();
    });
    ws.once("error", (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

let built: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess;
const clients: LiveClient[] = [];

beforeAll(async () => {
  built = await buildDataDir(["r-limit"]);
  server = await spawnServer(built.dataDir, { TESSERA_WS_PER_RECORD: "2" });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.stop();
  await built?.cleanup();
});

describe("the per-record connection limit (200 by default: a join storm of 200 plus one editor already in the record gets one 503) can be raised with TESSERA_WS_PER_RECORD", () => {
  it("reads TESSERA_WS_PER_RECORD as the per-record limit", () => {
    expect(DEFAULT_LIMITS.maxConnectionsPerRecord).toBe(200);
    expect(syncLimitsFromEnv({ TESSERA_WS_PER_RECORD: "202" })).toEqual({ maxConnectionsPerRecord: 202 });
    expect(() => syncLimitsFromEnv({ TESSERA_WS_PER_RECORD: "0" })).toThrow(/TESSERA_WS_PER_RECORD/);
  });

  it("a server started with TESSERA_WS_PER_RECORD=2 admits two connections to one record and answers the third with 503", async () => {
    for (const name of ["one", "two"]) {
      const c = liveClient(server, "r-limit", name);
      clients.push(c);
      await c.synced();
    }
    expect(await upgrade(server, "r-limit")).toBe(503);
  });
});
