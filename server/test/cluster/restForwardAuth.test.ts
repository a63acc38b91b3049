import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import type { Redis } from "ioredis";
import { readRows, type Row } from "@tessera/shared-crdt";
import { clusterSecret, redisKeys } from "@tessera/storage";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import {
  ADMIN,
  bearer,
  buildDataDir,
  call,
  DS,
  jsonInit,
  login,
  seedUsers,
  tokenFor,
  wsWithHeaders,
} from "../auth/support.js";
import { ForwardSigner } from "../../src/cluster/signing.js";
import { leaseHolder, processIdOf } from "./clusterSupport.js";

/**
 * REST writes relayed to a record's owner with accounts on: the caller's credentials (an API token, a session
 * cookie) travel with the relayed request, so the owner authenticates the same user and applies the same
 * permission rules; the signed identity must name that user, or the owner refuses the request with 401.
 */
describe("scaled mode with accounts: REST writes relayed to the record's owner", () => {
  let redis: RedisServer;
  let client: Redis;
  let data: Awaited<ReturnType<typeof buildDataDir>>;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    redis = await startRedis();
    client = redis.client();
    data = await buildDataDir(["r1"]);
    await seedUsers(data.dataDir, { ann: { role: "annotator" }, vic: { role: "viewer" } });
    const env = {
      TESSERA_AUTH: "on",
      TESSERA_ADMIN_USER: ADMIN.username,
      TESSERA_ADMIN_PASSWORD: ADMIN.password,
      TESSERA_REDIS_URL: redis.url,
    };
    // A first: the first admin is created once, then B finds it.
    a = await spawnServer(data.dataDir, env);
    b = await spawnServer(data.dataDir, env);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await data?.cleanup();
  });

  it("an annotator's token and session writes on the non-owner are done by the owner as that user; a viewer's are refused; a signed identity that is not the caller's is refused with 401", async () => {
    const adminToken = await tokenFor(a.url, ADMIN.username, ADMIN.password);
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${a.wsUrl}/sync/${DS}`, "r1", doc, {
      WebSocketPolyfill: wsWithHeaders(bearer(adminToken)) as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    try {
      await waitFor(() => provider.synced, "the owner's live client synced");
      const owner = await processIdOf(client, a.url);
      expect(await leaseHolder(client, { datasetId: DS, recordId: "r1" })).toBe(owner);

      const token = await tokenFor(b.url, "ann");
      const created = await call(
        `${b.url}/datasets/${DS}/entities`,
        jsonInit("POST", { id: "ae1", record_id: "r1", category: "car" }, bearer(token)),
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: "ae1", record_id: "r1", category: "car" });
      await waitFor(() => readRows(doc, "entities").some((e) => e.id === "ae1"), "the live client to see the create");

      const cookie = await login(b.url, "ann");
      const updated = await call(
        `${b.url}/datasets/${DS}/entities/ae1`,
        jsonInit("PUT", { category: "bus" }, { cookie }),
      );
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ id: "ae1", category: "bus" });
      await waitFor(
        () => (readRows(doc, "entities").find((e) => e.id === "ae1") as Row | undefined)?.category === "bus",
        "the live client to see the update",
      );

      const viewer = await tokenFor(b.url, "vic");
      const refused = await call(
        `${b.url}/datasets/${DS}/entities`,
        jsonInit("POST", { id: "ve1", record_id: "r1", category: "car" }, bearer(viewer)),
      );
      expect(refused.status).toBe(403);
      const anonymous = await call(
        `${b.url}/datasets/${DS}/entities`,
        jsonInit("POST", { id: "ne1", record_id: "r1", category: "car" }),
      );
      expect(anonymous.status).toBe(401);

      // A valid signature naming the admin, with the annotator's credentials: the owner refuses it.
      const signer = new ForwardSigner(await clusterSecret(client, redisKeys()));
      const path = `/datasets/${DS}/entities/ae1`;
      const impostor = await call(
        `${a.url}${path}`,
        jsonInit(
          "PUT",
          { category: "truck" },
          {
            ...bearer(token),
            ...signer.sign({ id: ADMIN.username, name: "Admin", role: "admin", tessera: false }, path),
          },
        ),
      );
      expect(impostor.status).toBe(401);
      expect(String(impostor.body?.detail)).toContain("does not match");

      expect(readRows(doc, "entities").map((e) => e.id)).toEqual(["ae1"]);
      expect((readRows(doc, "entities")[0] as Row | undefined)?.category).toBe("bus");
      expect(await leaseHolder(client, { datasetId: DS, recordId: "r1" })).toBe(owner);
    } finally {
      provider.destroy();
    }
  }, 90_000);
});
