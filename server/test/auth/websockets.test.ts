import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  hasRow,
  LIVE_NAMESPACE,
  parseDatasetInfo,
  type ActivityEntry,
  type DatasetSchema,
  type LiveClientToServer,
  type LiveServerToClient,
  withCustom,
} from "@tessera/shared-crdt";
import type { RunningServer } from "../../src/index.js";
import { waitFor } from "../sync/support/harness.js";
import {
  ACCOUNTS,
  ADMIN,
  bearer,
  buildDataDir,
  call,
  DS,
  jsonInit,
  login,
  seedUsers,
  startAuthServer,
  tokenFor,
  upgrade,
  wsWithHeaders,
} from "./support.js";

/**
 * Websocket actions × principals: connecting to the sync endpoint, writing
 * a document, awareness, the live channel and its workflow transitions — plus a viewer's stock
 * y-websocket client that cannot change a document but whose cursor is seen, and identities
 * nobody can forge in awareness or the activity feed.
 */

type Who = "anonymous" | "viewer" | "annotator" | "reviewer" | "admin" | "dsannotator" | "dsviewer";
const SIGNED_IN: readonly Exclude<Who, "anonymous">[] = [
  "viewer",
  "annotator",
  "reviewer",
  "admin",
  "dsannotator",
  "dsviewer",
];
type LiveSocket = Socket<LiveServerToClient, LiveClientToServer>;

let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: RunningServer;
let wsUrl: string;
let schema: DatasetSchema;
const tokens: Partial<Record<Who, string>> = {};
const cleanups: Array<() => void> = [];

const records = [
  "v1",
  ...SIGNED_IN.map((w) => `w-${w}`),
  ...SIGNED_IN.map((w) => `t-${w}`),
  ...SIGNED_IN.map((w) => `a-${w}`),
  "imp",
];

beforeAll(async () => {
  data = await buildDataDir(records);
  await seedUsers(data.dataDir);
  server = await startAuthServer(data.dataDir);
  wsUrl = server.url.replace(/^http/, "ws");
  tokens.admin = await tokenFor(server.url, ADMIN.username, ADMIN.password);
  for (const name of Object.keys(ACCOUNTS)) tokens[name as Who] = await tokenFor(server.url, name);
  const info = await call(`${server.url}/datasets/${DS}/info`, { headers: bearer(tokens.admin) });
  schema = datasetSchemaOf(parseDatasetInfo(info.body));
  // v1 is validated (annotators may no longer edit it); a-* are in review (for approve).
  const admin = bearer(tokens.admin);
  for (const [id, actions] of [
    ["v1", ["submit", "approve"]],
    ...SIGNED_IN.map((w) => [`a-${w}`, ["submit"]] as const),
  ] as const) {
    for (const action of actions) {
      const r = await call(`${server.url}/datasets/${DS}/records/${id}/workflow`, jsonInit("POST", { action }, admin));
      expect(r.status, `${id} ${action}: ${r.text}`).toBe(200);
    }
  }
});

afterAll(async () => {
  for (const c of cleanups.splice(0)) c();
  await server?.close();
  await data?.cleanup();
});

/** A stock y-websocket client authenticated the way `how` says. */
function syncClient(
  recordId: string,
  headers: Record<string, string>,
  options: { protocols?: string[]; params?: Record<string, string> } = {},
) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${wsUrl}/sync/${DS}`, recordId, doc, {
    WebSocketPolyfill: wsWithHeaders(headers) as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    ...(options.protocols ? { protocols: options.protocols } : {}),
    ...(options.params ? { params: options.params } : {}),
  });
  const destroy = () => {
    provider.destroy();
    doc.destroy();
  };
  cleanups.push(destroy);
  return { doc, provider, synced: () => waitFor(() => provider.synced, `${recordId} synced`), destroy };
}

function addEntity(doc: Y.Doc, recordId: string, id: string): void {
  let n = 0;
  createEntity({ doc, schema, recordId, newId: () => (n++ === 0 ? id : `${id}-box`) }, clientOrigin("t"), {
    entity: withCustom({}, { category: "car" }),
    annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } },
  });
}

interface AwarenessUser {
  id: string;
  name: string;
  role: string;
}

/**
 * `who` writes an entity into `recordId` and then moves its cursor, claiming to be the admin.
 * Once the admin's observer sees that cursor, the server has handled the write (one socket, in
 * order; content is relayed at once, awareness after a coalescing tick): whether the observer got
 * the entity tells whether the write was accepted.
 */
async function probeWrite(
  who: Exclude<Who, "anonymous">,
  recordId: string,
): Promise<{ applied: boolean; seenAs: AwarenessUser }> {
  const observer = syncClient(recordId, bearer(tokens.admin ?? ""));
  await observer.synced();
  const writer = syncClient(recordId, bearer(tokens[who] ?? ""));
  await writer.synced();
  const entityId = `e-${who}-${recordId}`;
  addEntity(writer.doc, recordId, entityId);
  writer.provider.awareness.setLocalState({
    user: { id: "admin", name: "Administrator", role: "admin" },
    cursor: { x: 7, y: 9 },
  });
  const state = await waitFor(
    () =>
      [...observer.provider.awareness.getStates().values()].find(
        (s) => (s as { cursor?: { x: number } }).cursor?.x === 7,
      ) as { user: AwarenessUser } | undefined,
    `${who}'s cursor seen`,
  );
  const applied = hasRow(observer.doc, "entities", entityId);
  writer.destroy();
  observer.destroy();
  return { applied, seenAs: state.user };
}

describe("websocket matrix", () => {
  it("sync connect: refused with 401 at the upgrade for nobody and bad credentials, open for every account", async () => {
    const path = `/sync/${DS}/w-viewer`;
    expect((await upgrade(server.url, path)).status).toBe(401);
    expect((await upgrade(server.url, `${path}?name=admin&role=admin`)).status).toBe(401);
    expect((await upgrade(server.url, path, bearer("tsr_" + "x".repeat(43)))).status).toBe(401);
    expect((await upgrade(server.url, path, { cookie: "tessera_session=forged" })).status).toBe(401);
    for (const who of SIGNED_IN)
      expect((await upgrade(server.url, path, bearer(tokens[who] ?? ""))).status, who).toBe("open");
    // Browsers cannot set headers on websockets: the session cookie, or a token as a subprotocol.
    const cookie = await login(server.url, "viewer");
    expect((await upgrade(server.url, path, { cookie })).status).toBe("open");
    expect(
      (await upgrade(server.url, path, { "sec-websocket-protocol": `tessera, ${tokens.viewer ?? ""}` })).status,
    ).toBe("open");
    // A cookie from a page of another origin is refused (cross-site websocket hijacking).
    expect((await upgrade(server.url, path, { cookie, origin: "https://evil.example" })).status).toBe(403);
    expect((await upgrade(server.url, path, { cookie, origin: server.url })).status).toBe("open");
  });

  it("sync write: applied for annotators and up, dropped for viewers (per-dataset roles included); awareness stamped for everyone", async () => {
    const expected: Record<Exclude<Who, "anonymous">, boolean> = {
      viewer: false,
      annotator: true,
      reviewer: true,
      admin: true,
      dsannotator: true,
      dsviewer: false,
    };
    const rows: string[] = [];
    for (const who of SIGNED_IN) {
      const { applied, seenAs } = await probeWrite(who, `w-${who}`);
      rows.push(
        `${who.padEnd(12)} write ${applied ? "applied" : "dropped"}  awareness seen as ${seenAs.id}/${seenAs.role}`,
      );
      expect(applied, `${who} write`).toBe(expected[who]);
      const role = who === "dsannotator" ? "annotator" : who === "dsviewer" ? "viewer" : who;
      expect(seenAs, `${who} awareness`).toMatchObject({ id: who === "admin" ? "admin" : who, role });
    }
    console.log(`sync write × role:\n  ${rows.join("\n  ")}`);
    // The rows agree with the documents: viewers' entities never reached them.
    const list = await call(`${server.url}/datasets/${DS}/entities?limit=1000`, {
      headers: bearer(tokens.admin ?? ""),
    });
    const ids = (list.body.items as { id: string }[]).map((e) => e.id);
    await waitFor(async () => {
      const r = await call(`${server.url}/datasets/${DS}/entities?limit=1000`, { headers: bearer(tokens.admin ?? "") });
      return (r.body.items as { id: string }[]).some((e) => e.id === "e-annotator-w-annotator");
    }, "annotator's entity in the rows");
    expect(ids).not.toContain("e-viewer-w-viewer");
    expect(ids).not.toContain("e-dsviewer-w-dsviewer");
  });

  it("sync write on a validated record: dropped for annotators, applied for reviewers and admins", async () => {
    expect((await probeWrite("annotator", "v1")).applied).toBe(false);
    expect((await probeWrite("dsannotator", "v1")).applied).toBe(false);
    expect((await probeWrite("reviewer", "v1")).applied).toBe(true);
    expect((await probeWrite("admin", "v1")).applied).toBe(true);
    // REST follows the same rule through the record document.
    const body = { id: "rest-e-ann", record_id: "v1", category: "car" };
    const ann = await call(
      `${server.url}/datasets/${DS}/entities`,
      jsonInit("POST", body, bearer(tokens.annotator ?? "")),
    );
    expect(ann.status).toBe(403);
    expect(ann.body.detail).toMatch(/annotator may not edit a validated record/);
    const rev = await call(
      `${server.url}/datasets/${DS}/entities`,
      jsonInit("POST", { ...body, id: "rest-e-rev" }, bearer(tokens.reviewer ?? "")),
    );
    expect(rev.status).toBe(201);
  });

  it("live channel: nobody is refused at the handshake; each account joins with its role on the dataset; transitions follow the workflow rules", async () => {
    const join = (auth: Record<string, unknown>, headers: Record<string, string> = {}) => {
      const s: LiveSocket = io(`${server.url}${LIVE_NAMESPACE}`, {
        auth: { datasetId: DS, ...auth },
        transports: ["websocket"],
        reconnection: false,
        extraHeaders: headers,
      });
      cleanups.push(() => s.disconnect());
      return s;
    };
    const hello = (s: LiveSocket) =>
      new Promise<{ you: AwarenessUser } | Error>((resolve) => {
        s.once("hello", (h) => resolve(h as unknown as { you: AwarenessUser }));
        s.once("connect_error", (e) => resolve(e));
      });
    const nobody = await hello(join({ name: "admin", role: "admin" }));
    expect(nobody).toBeInstanceOf(Error);
    expect((nobody as Error).message).toMatch(/authentication required/);
    const forged = await hello(join({ token: "tsr_forged" }));
    expect(forged).toBeInstanceOf(Error);

    const transition = (s: LiveSocket, recordId: string, action: "submit" | "approve") =>
      new Promise<{ ok: boolean; error?: string }>((resolve) =>
        s.emit("record:transition", { recordId, action }, (r) => resolve(r as { ok: boolean; error?: string })),
      );
    const mayWork: Record<Exclude<Who, "anonymous">, { submit: boolean; approve: boolean; role: string }> = {
      viewer: { submit: false, approve: false, role: "viewer" },
      annotator: { submit: true, approve: false, role: "annotator" },
      reviewer: { submit: true, approve: true, role: "reviewer" },
      admin: { submit: true, approve: true, role: "admin" },
      dsannotator: { submit: true, approve: false, role: "annotator" },
      dsviewer: { submit: false, approve: false, role: "viewer" },
    };
    for (const who of SIGNED_IN) {
      // Claims in the handshake are ignored: the token decides.
      const s = join({ token: tokens[who], name: "admin", role: "admin" });
      const h = await hello(s);
      expect(h, who).not.toBeInstanceOf(Error);
      expect((h as { you: AwarenessUser }).you).toMatchObject({ id: who, role: mayWork[who].role });
      const submit = await transition(s, `t-${who}`, "submit");
      expect(submit.ok, `${who} submit: ${submit.error ?? ""}`).toBe(mayWork[who].submit);
      const approve = await transition(s, `a-${who}`, "approve");
      expect(approve.ok, `${who} approve: ${approve.error ?? ""}`).toBe(mayWork[who].approve);
      if (!mayWork[who].approve) expect(approve.error).toMatch(/may not approve/);
      s.disconnect();
    }
    // Cookies work too (what the browser sends).
    const cookie = await login(server.url, "reviewer");
    const viaCookie = await hello(join({}, { cookie }));
    expect((viaCookie as { you: AwarenessUser }).you).toMatchObject({ id: "reviewer", role: "reviewer" });
  });
});

describe("identity cannot be forged", () => {
  it("a viewer's stock client cannot change the document, yet its cursor is seen, under its own name", async () => {
    const editor = syncClient("imp", bearer(tokens.annotator ?? ""));
    await editor.synced();
    const viewer = syncClient("imp", bearer(tokens.viewer ?? ""), { params: { name: "admin", role: "admin" } });
    await viewer.synced();
    addEntity(viewer.doc, "imp", "viewer-entity");
    expect(hasRow(viewer.doc, "entities", "viewer-entity")).toBe(true);
    viewer.provider.awareness.setLocalState({
      user: { id: "annotator", name: "annotator", role: "admin", color: "#000" },
      cursor: { x: 1, y: 2 },
    });
    const seen = await waitFor(
      () =>
        [...editor.provider.awareness.getStates().values()].find(
          (s) => (s as { cursor?: { x: number } }).cursor?.x === 1,
        ) as { user: AwarenessUser } | undefined,
      "viewer's cursor",
    );
    expect(seen.user).toMatchObject({ id: "viewer", name: "viewer", role: "viewer" });
    expect(hasRow(editor.doc, "entities", "viewer-entity")).toBe(false);
    // A newcomer syncing from the server does not get it either.
    const late = syncClient("imp", bearer(tokens.reviewer ?? ""));
    await late.synced();
    expect(hasRow(late.doc, "entities", "viewer-entity")).toBe(false);
  });

  it("the activity feed names whoever really edited, whatever the client claims", async () => {
    const observer = syncClient("imp", bearer(tokens.admin ?? ""));
    await observer.synced();
    const forger = syncClient("imp", bearer(tokens.annotator ?? ""), {
      params: { name: "Administrator", role: "admin" },
    });
    await forger.synced();
    addEntity(forger.doc, "imp", "annotator-entity");
    await waitFor(() => hasRow(observer.doc, "entities", "annotator-entity"), "the edit reached the server");
    // A REST transition, stamped with the authenticated user (claims in the body are ignored), closes the edit batch.
    const r = await call(
      `${server.url}/datasets/${DS}/records/imp/workflow`,
      jsonInit("POST", { action: "submit", user: "admin" }, bearer(tokens.annotator ?? "")),
    );
    expect(r.status).toBe(200);
    const after = await waitFor(async () => {
      const f = await call(`${server.url}/datasets/${DS}/activity?record_id=imp`, {
        headers: bearer(tokens.admin ?? ""),
      });
      const entries = f.body as ActivityEntry[];
      return entries.some((e) => e.kind === "edit") && entries;
    }, "the edit in the activity feed");
    expect(after.find((e) => e.kind === "edit")?.user).toMatchObject({
      id: "annotator",
      name: "annotator",
      role: "annotator",
    });
    const submit = after.find((e) => e.kind === "status" && e.status?.action === "submit");
    expect(submit?.user).toMatchObject({ id: "annotator", role: "annotator" });
  });
});
