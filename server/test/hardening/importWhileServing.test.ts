import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as decoding from "lib0/decoding";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  MessageType,
  parseDatasetInfo,
  type Row,
  type TesseraMessage,
} from "@tessera/shared-crdt";
import { getJson, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { writeUnflushedEdits } from "./unflushedLogs.js";
import { pollServer } from "./pollServer.js";
import { ROOT, runTessera as tessera } from "../support/cli.js";

/**
 * Hardening II item 8: `tessera data import --mode overwrite` on a dataset a running server serves.
 * The import would give the dataset a new id under the server, whose open rooms then flush to a
 * dataset that no longer exists and lose edits they confirmed. The CLI refuses, naming the server
 * (from `DATA_DIR/.tessera/server.lock`, live by its pid); a stale lock (server killed) does not
 * block it. Real CLI and server processes, a stock y-websocket client.
 */

const SOURCE = path.join(ROOT, "fixtures", "pixano-built", "sources", "image_det");

interface Editor {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  confirmed(): number;
}

function editor(server: ServerProcess, datasetId: string, recordId: string): Editor {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${server.wsUrl}/sync/${encodeURIComponent(datasetId)}`, recordId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { name: "alice", tessera: "1" },
    disableBc: true,
  });
  let confirmed = 0;
  provider.messageHandlers[MessageType.tessera] = (_encoder, decoder) => {
    const msg = JSON.parse(decoding.readVarString(decoder)) as TesseraMessage;
    if (msg.kind === "confirmed") confirmed = Math.max(confirmed, msg.count);
  };
  return { doc, provider, confirmed: () => confirmed };
}

let dir: string | null = null;
let server: ServerProcess | null = null;
let client: Editor | null = null;

afterEach(async () => {
  client?.provider.destroy();
  client = null;
  await server?.kill("SIGTERM");
  server = null;
  if (dir) await fs.rm(dir, { recursive: true, force: true });
  dir = null;
});

async function entityIds(url: string, datasetId: string, recordId: string): Promise<string[]> {
  const page = await getJson<{ items: Row[] }>(
    `${url}/datasets/${datasetId}/entities?record_id=${encodeURIComponent(recordId)}&limit=1000`,
  );
  return page.items.map((r) => r.id as string);
}

describe("data import while a server serves the dataset", () => {
  it("--mode overwrite of a served dataset is refused, naming the server; the id stays and every confirmed live edit reaches the rows", async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-import-served-"));
    const dataDir = path.join(dir, "data");
    const created = await tessera(["data", "import", dataDir, SOURCE]);
    expect(created.code, created.stderr).toBe(0);

    server = await spawnServer(dataDir);
    const list = await getJson<Array<{ id: string }>>(`${server.url}/datasets`);
    const datasetId = list[0]!.id;
    const records = await getJson<{ items: Row[] }>(`${server.url}/datasets/${datasetId}/records?limit=10`);
    const recordId = records.items[0]!.id as string;
    const info = await getJson<Record<string, unknown>>(`${server.url}/datasets/${datasetId}/info`);
    const schema = datasetSchemaOf(parseDatasetInfo(info));

    client = editor(server, datasetId, recordId);
    await waitFor(() => client!.provider.synced, "synced");
    let n = 0;
    const edit = () =>
      createEntity({ doc: client!.doc, schema, recordId, newId: () => `live-${++n}` }, clientOrigin("alice"), {})
        .entityId;
    const first = edit();
    // One confirmation is the sync-step-2 reply; the second is the edit: durable on the server.
    await waitFor(() => client!.confirmed() >= 2, "the live edit confirmed");

    const refused = await tessera(["data", "import", dataDir, SOURCE, "--mode", "overwrite"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(server.url);
    expect(refused.stderr).toContain(`pid ${server.child.pid}`);
    expect(refused.stderr).toContain(datasetId);

    // Nothing changed under the server: same id, and the edit confirmed before (and one after) reach the rows.
    const after = await getJson<Array<{ id: string }>>(`${server.url}/datasets`);
    expect(after.map((d) => d.id)).toEqual([datasetId]);
    const second = edit();
    await waitFor(() => client!.confirmed() >= 3, "the next live edit confirmed");
    await pollServer(
      async () => {
        const ids = await entityIds(server!.url, datasetId, recordId);
        return ids.includes(first) && ids.includes(second);
      },
      "both confirmed edits in the rows",
      30_000,
    );
  });

  it("a lock left by a killed server does not block the overwrite, and a stopped server's lock is gone", async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-import-stale-"));
    const dataDir = path.join(dir, "data");
    expect((await tessera(["data", "import", dataDir, SOURCE])).code).toBe(0);
    const lockFile = path.join(dataDir, ".tessera", "server.lock");

    server = await spawnServer(dataDir);
    const lock = JSON.parse(await fs.readFile(lockFile, "utf8")) as { pid: number; url: string };
    expect(lock).toMatchObject({ pid: server.child.pid, url: server.url });
    await server.kill("SIGKILL");
    server = null;
    const overwrite = await tessera(["data", "import", dataDir, SOURCE, "--mode", "overwrite"]);
    expect(overwrite.code, overwrite.stderr).toBe(0);

    server = await spawnServer(dataDir);
    await server.kill("SIGTERM");
    server = null;
    await expect(fs.stat(lockFile)).rejects.toThrow(/ENOENT/);
    expect((await tessera(["data", "import", dataDir, SOURCE, "--mode", "overwrite"])).code).toBe(0);
  });

  it("--mode overwrite is refused while the dataset's logs hold confirmed edits a stopped server did not fold, and allowed once recovery folded them", async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-import-unfolded-"));
    const dataDir = path.join(dir, "data");
    expect((await tessera(["data", "import", dataDir, SOURCE])).code).toBe(0);
    server = await spawnServer(dataDir);
    const datasetId = (await getJson<Array<{ id: string }>>(`${server.url}/datasets`))[0]!.id;
    const recordId = (await getJson<{ items: Row[] }>(`${server.url}/datasets/${datasetId}/records?limit=1`)).items[0]!
      .id as string;
    await server.kill("SIGTERM");
    server = null;
    // What a server killed right after confirming an edit leaves: the edit in the log, not in the rows.
    const edits = await writeUnflushedEdits(dataDir, [recordId], 1, datasetId);

    const refused = await tessera(["data", "import", dataDir, SOURCE, "--mode", "overwrite"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/confirmed edits not yet folded/);
    expect(refused.stderr).toContain(JSON.stringify(recordId));

    // One start folds them into the rows; then the overwrite goes ahead.
    server = await spawnServer(dataDir);
    const url = server.url;
    const entity = edits.get(recordId)!.entities[0]!;
    await pollServer(
      async () => (await entityIds(url, datasetId, recordId)).includes(entity),
      "start-up recovery to fold the edit",
      30_000,
    );
    await server.kill("SIGTERM");
    server = null;
    const overwrite = await tessera(["data", "import", dataDir, SOURCE, "--mode", "overwrite"]);
    expect(overwrite.code, overwrite.stderr).toBe(0);
  });
});
