import WebSocket from "ws";
import type * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  parseDatasetInfo,
  readRows,
  withCustom,
  type DocContext,
} from "@tessera/shared-crdt";
import { redisKeys, type RecordKey } from "@tessera/storage";
import type { Redis } from "ioredis";
import {
  countLocalUpdates,
  DS,
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type LiveClient,
  type ServerProcess,
} from "../integration/support.js";

/** A scaled-mode web process on `dataDir`, one of several sharing it through the Redis at `redisUrl`. */
export function spawnWeb(dataDir: string, redisUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return spawnServer(dataDir, { TESSERA_REDIS_URL: redisUrl, ...env });
}

/** The process id (registry) holding a record's lease now, or null. */
export async function leaseHolder(redis: Redis, key: RecordKey): Promise<string | null> {
  const value = await redis.get(redisKeys().lease(key));
  return value === null ? null : value.slice(0, value.lastIndexOf(":"));
}

/** The registry id of the web process listening at `url` (its heartbeat names its URL). */
export async function processIdOf(redis: Redis, url: string): Promise<string> {
  const prefix = redisKeys().proc("");
  return waitFor(async () => {
    for (const k of await redis.keys(`${prefix}*`)) {
      const raw = await redis.get(k);
      if (raw && (JSON.parse(raw) as { url: string | null }).url === url) return k.slice(prefix.length);
    }
    return null;
  }, `the process at ${url} in the registry`);
}

export interface Editor {
  readonly client: LiveClient;
  readonly created: string[];
  readonly localUpdates: () => number;
  readonly ctx: DocContext;
}

/** A Tessera client (stock y-websocket + confirmations) on `server`, synced, ready to create entities. */
export async function editor(
  server: ServerProcess,
  recordId: string,
  name: string,
  syncTimeoutMs = 10_000,
): Promise<Editor> {
  const client = liveClient(server, recordId, name);
  await waitFor(() => client.provider.synced, `${name} synced`, syncTimeoutMs);
  const info = await getJson<Record<string, unknown>>(`${server.url}/datasets/${DS}/info`);
  let n = 0;
  const ctx: DocContext = {
    doc: client.doc,
    schema: datasetSchemaOf(parseDatasetInfo(info)),
    recordId,
    // Row ids are unique across the dataset's records (a row never moves to another record).
    newId: () => `${recordId}-${name}-${++n}`,
  };
  return { client, created: [], localUpdates: countLocalUpdates(client.doc), ctx };
}

/** One edit = one transaction = one update frame: an entity with its box. */
export function edit(e: Editor, i: number): void {
  const { entityId } = createEntity(e.ctx, clientOrigin(e.client.provider.awareness.clientID.toString()), {
    entity: withCustom({}, { category: `c${i}` }),
    annotation: { table: "bboxes", row: { coords: [0.01 * (i % 90), 0.2, 0.05, 0.05] } },
  });
  e.created.push(entityId);
}

/**
 * The entities whose edit the server confirmed: confirmations count this connection's content frames in
 * order, one of which is the sync-step-2 reply, so `confirmed - 1` edits are durable.
 */
export function confirmedEntities(e: Editor): string[] {
  return e.created.slice(0, Math.max(0, e.client.confirmed() - 1));
}

export function entityIds(doc: Y.Doc): Set<string> {
  return new Set(readRows(doc, "entities").map((r) => r.id as string));
}

/** Waits until every editor sees every entity any of them created. */
export async function converged(editors: readonly Editor[], what: string, timeoutMs = 20_000): Promise<void> {
  const all = editors.flatMap((e) => e.created);
  await waitFor(() => editors.every((e) => all.every((id) => entityIds(e.client.doc).has(id))), what, timeoutMs);
}

/**
 * Points an editor's document at another process (what a load balancer does when the client's process died):
 * a new stock provider on the same `Y.Doc`, so the edits the dead process never confirmed are sent again.
 */
export function reconnectTo(server: ServerProcess, e: Editor, name: string): WebsocketProvider {
  e.client.provider.destroy();
  return new WebsocketProvider(`${server.wsUrl}/sync/${DS}`, e.ctx.recordId, e.client.doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    // Not Tessera's client: this provider has no handler for the type-100 messages.
    params: { name },
    disableBc: true,
  });
}
