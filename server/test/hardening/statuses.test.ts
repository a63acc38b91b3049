import path from "node:path";
import { performance } from "node:perf_hooks";
import * as lancedb from "@lancedb/lancedb";
import { DB_DIR, LIBRARY_DIR } from "@tessera/dataset";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  LIVE_NAMESPACE,
  parseDatasetInfo,
  type ActivityEntry,
  type LiveClientToServer,
  type LiveServerToClient,
  type StatusChange,
  withCustom,
} from "@tessera/shared-crdt";
import { ADMIN, bearer, call, jsonInit, percentile, seedUsers, tokenFor, type Reply } from "../auth/support.js";
import { buildDataDir, DS, liveClient, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { pollServer } from "./pollServer.js";

/**
 * Hardening II items 13–14 against a real server process: statuses outside the four workflow
 * values (Pixano's `archived`) are an explicit `other` state that stays editable and that reviewers
 * and admins move out of; Pixano's status dropdown (`PUT /records/{id} {"status"}`) may make any
 * move as a reviewer or admin (everyone in the single-user mode), recorded in the activity feed
 * with its author; annotators keep the workflow; a refused `PUT` writes nothing; REST and the live
 * channel accept the same actions.
 */

const FOUR = ["new", "inProgress", "inReview", "validated"] as const;
/** Every ordered pair of the four statuses exactly once (an Euler circuit of Pixano's dropdown moves), from `new`. */
const CIRCUIT = [
  "new",
  "inProgress",
  "new",
  "inReview",
  "new",
  "validated",
  "inProgress",
  "inReview",
  "inProgress",
  "validated",
  "inReview",
  "validated",
  "new",
] as const;

type LiveSocket = Socket<LiveServerToClient, LiveClientToServer>;

/** Writes statuses straight into the LanceDB `records` table, as Pixano 0.8 (`status: str`) does. */
async function writeStatusesLikePixano(dataDir: string, statuses: Record<string, string>): Promise<void> {
  const db = await lancedb.connect(path.join(dataDir, LIBRARY_DIR, "live_ds", DB_DIR));
  const table = await db.openTable("records");
  try {
    for (const [id, status] of Object.entries(statuses))
      await table.update({ where: `id = '${id}'`, values: { status } });
  } finally {
    table.close();
    db.close();
  }
}

function ack<T>(
  emit: (cb: (r: { ok: true; value: T } | { ok: false; error: string; reason?: string }) => void) => void,
): Promise<{ ok: true; value: T } | { ok: false; error: string; reason?: string }> {
  return new Promise((resolve) => emit(resolve));
}

interface Api {
  put(recordId: string, body: Record<string, unknown>): Promise<Reply>;
  workflow(recordId: string, body: Record<string, unknown>): Promise<Reply>;
  record(recordId: string): Promise<Record<string, unknown>>;
  statusEntries(recordId: string): Promise<ActivityEntry[]>;
}

function api(url: string, headers: Record<string, string>): Api {
  return {
    put: (id, body) => call(`${url}/datasets/${DS}/records/${id}`, jsonInit("PUT", body, headers)),
    workflow: (id, body) => call(`${url}/datasets/${DS}/records/${id}/workflow`, jsonInit("POST", body, headers)),
    async record(id) {
      const r = await call(`${url}/datasets/${DS}/records/${id}`, { headers });
      expect(r.status, r.text).toBe(200);
      return r.body as Record<string, unknown>;
    },
    async statusEntries(id) {
      const r = await call(`${url}/datasets/${DS}/activity?record_id=${id}&limit=1000`, { headers });
      expect(r.status, r.text).toBe(200);
      return (r.body as ActivityEntry[]).filter((e) => e.kind === "status");
    },
  };
}

/** Latency of each accepted status `PUT` (applied, durable and folded into the rows before the answer), printed at the end. */
const putLatencies: number[] = [];

afterAll(() => {
  const sorted = [...putLatencies].sort((x, y) => x - y);
  if (sorted.length > 0)
    console.log(
      `PUT {"status"} moves: n=${sorted.length} p50=${percentile(sorted, 50).toFixed(1)} ms p99=${percentile(sorted, 99).toFixed(1)} ms max=${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
    );
});

/** Walks {@link CIRCUIT} with `PUT {"status"}`; every move must be accepted and stored. */
async function walkDropdownCircuit(a: Api, recordId: string): Promise<void> {
  for (let i = 1; i < CIRCUIT.length; i++) {
    const from = CIRCUIT[i - 1];
    const to = CIRCUIT[i];
    const t0 = performance.now();
    const r = await a.put(recordId, { status: to });
    putLatencies.push(performance.now() - t0);
    expect(r.status, `${from} → ${to}: ${r.text}`).toBe(200);
    expect(r.body.status).toBe(to);
  }
}

/** The activity feed has one status entry per circuit move, oldest last, by `userId`. */
async function expectCircuitInFeed(a: Api, recordId: string, userId: string): Promise<void> {
  const moves = CIRCUIT.slice(1).map((to, i) => ({ from: CIRCUIT[i], to }));
  const entries = (await a.statusEntries(recordId)).reverse();
  expect(entries.map((e) => ({ from: e.status?.from, to: e.status?.to }))).toEqual(moves);
  for (const e of entries) expect(e.user.id).toBe(userId);
  // Named after the transition when one fits (a reject without a comment is a plain `set`).
  expect(entries.map((e) => e.status?.action)).toEqual([
    "edit",
    "set",
    "submit",
    "set",
    "set",
    "reopen",
    "submit",
    "set",
    "set",
    "set",
    "approve",
    "set",
  ]);
}

describe("statuses with accounts: annotator, reviewer, admin", () => {
  let data: Awaited<ReturnType<typeof buildDataDir>>;
  let server: ServerProcess;
  let annotator: Api;
  let reviewer: Api;
  let admin: Api;
  let annotatorToken: string;
  const sockets: LiveSocket[] = [];

  beforeAll(async () => {
    data = await buildDataDir([
      "arch1",
      "arch2",
      "arch3",
      "circ-rev",
      "circ-admin",
      "ann",
      "ann-rev",
      "atomic",
      "atomic-val",
      "live-edit",
      "rest-edit",
    ]);
    await writeStatusesLikePixano(data.dataDir, {
      arch1: "archived",
      arch2: "archived",
      arch3: "archived",
      "ann-rev": "inReview",
      atomic: "inProgress",
      "atomic-val": "validated",
    });
    await seedUsers(data.dataDir);
    server = await spawnServer(data.dataDir, {
      TESSERA_AUTH: "on",
      TESSERA_ADMIN_USER: ADMIN.username,
      TESSERA_ADMIN_PASSWORD: ADMIN.password,
    });
    annotatorToken = await tokenFor(server.url, "annotator");
    annotator = api(server.url, bearer(annotatorToken));
    reviewer = api(server.url, bearer(await tokenFor(server.url, "reviewer")));
    admin = api(server.url, bearer(await tokenFor(server.url, ADMIN.username, ADMIN.password)));
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.kill("SIGTERM");
    await data?.cleanup();
  });

  it("an annotator can edit a record Pixano marked `archived` (was 422: uneditable), and the edit keeps `archived`", async () => {
    const r = await annotator.put("arch1", { comment: "checked the boxes" });
    expect(r.status, r.text).toBe(200);
    expect(await annotator.record("arch1")).toMatchObject({ status: "archived", comment: "checked the boxes" });
  });

  it("a reviewer moves an `archived` record back into the workflow (reopen) and an annotator may not", async () => {
    const refused = await annotator.workflow("arch3", { action: "reopen" });
    expect(refused.status, refused.text).toBe(403);
    expect((await annotator.record("arch3")).status).toBe("archived");

    const reopened = await reviewer.workflow("arch2", { action: "reopen" });
    expect(reopened.status, reopened.text).toBe(200);
    expect(reopened.body).toMatchObject({
      from: "archived",
      to: "inProgress",
      action: "reopen",
      record: { status: "inProgress" },
    });
    const back = await reviewer.put("arch2", { status: "archived" });
    expect(back.status, back.text).toBe(200);
    expect(back.body.status).toBe("archived");
    const feed = await reviewer.statusEntries("arch2");
    expect(feed.map((e) => [e.status?.action, e.status?.from, e.status?.to, e.user.id])).toEqual([
      ["set", "inProgress", "archived", "reviewer"],
      ["reopen", "archived", "inProgress", "reviewer"],
    ]);
  });

  it("a reviewer makes all 12 moves of Pixano's status dropdown (6 were refused with 409/422), each in the activity feed with its author", async () => {
    await walkDropdownCircuit(reviewer, "circ-rev");
    await expectCircuitInFeed(reviewer, "circ-rev", "reviewer");
  });

  it("an admin makes all 12 moves of Pixano's status dropdown, each in the activity feed with its author", async () => {
    await walkDropdownCircuit(admin, "circ-admin");
    await expectCircuitInFeed(admin, "circ-admin", ADMIN.username);
  });

  it("an annotator keeps the workflow transitions: the other dropdown moves answer 403 and change nothing", async () => {
    const tryMove = async (id: string, to: string, expected: number) => {
      const before = await annotator.record(id);
      const r = await annotator.put(id, { status: to });
      expect(r.status, `${String(before.status)} → ${to}: ${r.text}`).toBe(expected);
      if (expected !== 200) expect(await annotator.record(id)).toEqual(before);
    };
    await tryMove("ann", "validated", 403);
    await tryMove("ann", "inProgress", 200);
    await tryMove("ann", "new", 403);
    await tryMove("ann", "validated", 403);
    await tryMove("ann", "archived", 403);
    await tryMove("ann", "inReview", 200);
    for (const to of ["validated", "inProgress", "new"]) await tryMove("ann-rev", to, 403);
    const feed = await annotator.statusEntries("ann");
    expect(feed.map((e) => [e.status?.action, e.user.id])).toEqual([
      ["submit", "annotator"],
      ["edit", "annotator"],
    ]);
    expect(await annotator.statusEntries("ann-rev")).toEqual([]);
  });

  it("a refused PUT writes nothing (was: fields written, then 409)", async () => {
    const before = await annotator.record("atomic");
    const r = await annotator.put("atomic", { comment: "sneaked in", split: "val", status: "validated" });
    expect(await annotator.record("atomic")).toEqual(before);
    expect(r.status, r.text).toBe(403);
    expect(r.body.detail).toMatch(/annotator/);

    const validated = await annotator.record("atomic-val");
    const onValidated = await annotator.put("atomic-val", { comment: "sneaked in", status: "inReview" });
    expect(onValidated.status, onValidated.text).toBe(403);
    expect(await annotator.record("atomic-val")).toEqual(validated);
    expect(await annotator.statusEntries("atomic")).toEqual([]);
    expect(await annotator.statusEntries("atomic-val")).toEqual([]);
  });

  it("fields and a move out of the workflow (`archived`) in one PUT are applied together (was 422), the move authored by its caller", async () => {
    const r = await annotator.put("rest-edit", { comment: "ready", status: "inReview" });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ status: "inReview", comment: "ready" });
    const archived = await reviewer.put("rest-edit", { comment: "kept for reference", status: "archived" });
    expect(archived.status, archived.text).toBe(200);
    expect(archived.body).toMatchObject({ status: "archived", comment: "kept for reference" });
    const feed = await reviewer.statusEntries("rest-edit");
    expect(feed.map((e) => [e.status?.action, e.status?.from, e.status?.to, e.user.id])).toEqual([
      ["set", "inReview", "archived", "reviewer"],
      // The field edit started the `new` record (W1), then the move was decided from there.
      ["submit", "inProgress", "inReview", "annotator"],
      ["edit", "new", "inProgress", "annotator"],
    ]);
  });

  it("REST and the live channel accept the same actions (the live channel refused `edit`), and both refuse `set`", async () => {
    const socket: LiveSocket = io(`${server.url}${LIVE_NAMESPACE}`, {
      auth: { datasetId: DS, token: annotatorToken },
      transports: ["websocket"],
      reconnection: false,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    const live = await ack<StatusChange>((cb) =>
      socket.emit("record:transition", { recordId: "live-edit", action: "edit" }, cb),
    );
    expect(live).toMatchObject({
      ok: true,
      value: { from: "new", to: "inProgress", action: "edit", by: { id: "annotator" } },
    });
    const rest = await annotator.workflow("live-edit", { action: "submit" });
    expect(rest.status, rest.text).toBe(200);

    // `set` needs a target status: it is PUT's, not an action of either channel.
    const liveSet = await ack<StatusChange>((cb) =>
      socket.emit("record:transition", { recordId: "live-edit", action: "set" as "edit" }, cb),
    );
    expect(liveSet).toMatchObject({ ok: false, reason: "bad_request" });
    const restSet = await reviewer.workflow("live-edit", { action: "set" });
    expect(restSet.status).toBe(422);
    expect((await annotator.record("live-edit")).status).toBe("inReview");
  });
});

describe("statuses in the single-user mode (TESSERA_AUTH=off)", () => {
  let data: Awaited<ReturnType<typeof buildDataDir>>;
  let server: ServerProcess;
  let local: Api;

  beforeAll(async () => {
    data = await buildDataDir(["circ", "arch", "arch-live"]);
    await writeStatusesLikePixano(data.dataDir, { arch: "archived", "arch-live": "archived" });
    server = await spawnServer(data.dataDir, { TESSERA_AUTH: "off" });
    local = api(server.url, {});
  });

  afterAll(async () => {
    await server?.kill("SIGTERM");
    await data?.cleanup();
  });

  it("the local user makes every dropdown move and sets Pixano's `archived` and back, each authored in the activity feed", async () => {
    await walkDropdownCircuit(local, "circ");
    await expectCircuitInFeed(local, "circ", "rest:local");
    for (const to of ["archived", ...FOUR]) {
      const r = await local.put("arch", { status: to });
      expect(r.status, `→ ${to}: ${r.text}`).toBe(200);
      expect((await local.record("arch")).status).toBe(to);
    }
    const feed = await local.statusEntries("arch");
    expect(feed).toHaveLength(4); // archived → archived is no change
    expect(feed.at(-1)).toMatchObject({
      user: { id: "rest:local", name: "REST client" },
      status: { from: "archived", to: "new", action: "set" },
    });
  });

  it("a live annotator's edit of an `archived` record is kept and does not rewrite the status to inProgress (W1 starts only `new`)", async () => {
    const editor = liveClient(server, "arch-live", "Alice");
    try {
      await editor.synced();
      const info = (await call(`${server.url}/datasets/${DS}/info`)).body as Record<string, unknown>;
      const ctx = {
        doc: editor.doc,
        schema: datasetSchemaOf(parseDatasetInfo(info)),
        recordId: "arch-live",
        newId: (() => {
          let n = 0;
          return () => `al-${++n}`;
        })(),
      };
      createEntity(ctx, clientOrigin("al"), {
        entity: withCustom({}, { category: "car" }),
        annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } },
      });
      await waitFor(() => editor.confirmed() >= 1, "edit confirmed");
      expect(editor.rejected).toEqual([]);
      // Folded into the rows by the persist worker: the entity is there, the status as Pixano left it.
      await pollServer(
        async () => (await call(`${server.url}/datasets/${DS}/entities/al-1`)).status === 200,
        "entity persisted",
      );
      await pollServer(
        async () => (await call(`${server.url}/datasets/${DS}/bboxes/al-2`)).status === 200,
        "box persisted",
      );
      expect((await local.record("arch-live")).status).toBe("archived");
      expect(editor.doc.getMap("record").get("status")).toBe("archived");
      expect(await local.statusEntries("arch-live")).toEqual([]);
    } finally {
      editor.destroy();
    }
  });
});
