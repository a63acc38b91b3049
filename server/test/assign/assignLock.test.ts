import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import {
  LIVE_NAMESPACE,
  patchRecord,
  readRecordCell,
  type LiveAck,
  type LiveClientToServer,
  type LiveServerToClient,
  type StatusChange,
} from "@tessera/shared-crdt";
import { DS, startCampaign, syncClient, waitFor, type Campaign, type SyncClient } from "./support.js";

/**
 * The assignment lock (SPEC AS6) on a real server process: soft by default (anyone helps), locked only the
 * record's annotator (and reviewers, admins) write it — REST writes of others are refused with 403 naming the
 * assignee, their stock y-websocket clients join read-only and are told so, and a lock change re-admits open
 * connections with their new rights at once.
 */

let c: Campaign;
const clients: SyncClient[] = [];

beforeAll(async () => {
  c = await startCampaign(["r1", "r2", "r3", "r4"]);
  const r = await c
    .as("admin")
    .send("POST", "/assignments", { record_ids: ["r1", "r2"], annotators: ["alice", "bob"] });
  if (r.status !== 200) throw new Error(`assign: ${r.status} ${r.text}`);
}, 90_000);

afterAll(async () => {
  for (const s of clients) s.destroy();
  await c?.close();
});

const lock = async (locked: boolean) => {
  const r = await c.as("admin").send("PUT", "/assignments/lock", { locked });
  expect(r.status).toBe(200);
};
const putComment = (who: string, record: string, comment: string) =>
  c.as(who).send("PUT", `/records/${record}`, { comment });

function open(who: string, record: string): SyncClient {
  const client = syncClient(c.server, c.as(who).token, record);
  clients.push(client);
  return client;
}

describe("assignment lock (SPEC AS6)", () => {
  it("unlocked, anyone with the role helps on someone else's record (soft enforcement)", async () => {
    expect((await putComment("bob", "r1", "bob helped")).status).toBe(200);
    expect((await putComment("alice", "r2", "alice helped")).status).toBe(200);
  });

  it("locked, REST writes and workflow actions of others on an assigned record are refused with 403 naming the assignee", async () => {
    await lock(true);
    try {
      const put = await putComment("bob", "r1", "bob again");
      expect(put.status).toBe(403);
      expect(String(put.body.detail)).toContain("assigned to alice");
      const submit = await c.as("bob").send("POST", "/records/r1/workflow", { action: "submit" });
      expect(submit.status).toBe(403);
      expect(String(submit.body.detail)).toContain("Assignment is locked");
      const record = (await c.as("rita").get("/records/r1")).body as { comment: string; status: string };
      expect(record.comment).toBe("bob helped");
      // The assignee, a reviewer and anyone on an unassigned record still write.
      expect((await putComment("alice", "r1", "alice's note")).status).toBe(200);
      expect((await putComment("rita", "r1", "rita's note")).status).toBe(200);
      expect((await putComment("bob", "r3", "bob on a free record")).status).toBe(200);
      expect((await putComment("bob", "r2", "bob on his own")).status).toBe(200);
    } finally {
      await lock(false);
    }
    expect((await putComment("bob", "r1", "bob after unlock")).status).toBe(200);
  });

  it("locked, another annotator's workflow action over the live channel is refused as forbidden; the assignee's goes through", async () => {
    await lock(true);
    const sockets: Array<Socket<LiveServerToClient, LiveClientToServer>> = [];
    const transition = async (who: string, recordId: string) => {
      const socket: Socket<LiveServerToClient, LiveClientToServer> = io(`${c.server.url}${LIVE_NAMESPACE}`, {
        auth: { datasetId: DS, token: c.as(who).token },
        transports: ["websocket"],
        reconnection: false,
      });
      sockets.push(socket);
      await waitFor(() => socket.connected, `${who} live`);
      return new Promise<Parameters<LiveAck<StatusChange>>[0]>((resolve) =>
        socket.emit("record:transition", { recordId, action: "submit" }, resolve),
      );
    };
    try {
      const refused = await transition("bob", "r1");
      expect(refused).toMatchObject({ ok: false, reason: "forbidden" });
      expect(refused.ok ? "" : refused.error).toContain("assigned to alice");
      expect(((await c.as("rita").get("/records/r1")).body as { status: string }).status).not.toBe("inReview");
      const done = await transition("bob", "r2");
      expect(done).toMatchObject({ ok: true, value: { to: "inReview" } });
    } finally {
      for (const s of sockets) s.disconnect();
      await lock(false);
    }
  });

  it("locked, another annotator's stock y-websocket client joins read-only and its write is refused; unlocking re-admits it", async () => {
    await lock(true);
    const bob = open("bob", "r1");
    const alice = open("alice", "r1");
    await waitFor(() => bob.provider.synced && alice.provider.synced, "both synced");
    await waitFor(() => bob.lastWelcome() !== null && alice.lastWelcome() !== null, "both welcomed");
    expect(bob.lastWelcome()?.readOnly).toBe(true);
    expect(alice.lastWelcome()?.readOnly).toBe(false);

    patchRecord(bob.doc, { comment: "bob over the lock" });
    await waitFor(() => bob.messages.some((m) => m.kind === "rejected" && m.reason === "read_only"), "bob refused");
    patchRecord(alice.doc, { comment: "alice live" });
    await waitFor(() => alice.messages.some((m) => m.kind === "confirmed"), "alice confirmed");
    await waitFor(() => readRecordCell(alice.doc, "comment") === "alice live", "alice's edit kept");

    // Unlocking closes bob's connection (1001): his provider reconnects with the right to edit.
    const welcomes = bob.messages.filter((m) => m.kind === "welcome").length;
    await lock(false);
    await waitFor(
      () => bob.messages.filter((m) => m.kind === "welcome").length > welcomes && bob.lastWelcome()?.readOnly === false,
      "bob re-admitted with rights",
      20_000,
    );
    // Locking again takes them back from him (and not from alice).
    await lock(true);
    await waitFor(() => bob.lastWelcome()?.readOnly === true, "bob read-only again", 20_000);
    expect(alice.lastWelcome()?.readOnly).toBe(false);
    const record = (await c.as("rita").get("/records/r1")).body as { comment: string };
    expect(record.comment).not.toBe("bob over the lock");
    await lock(false);
  }, 60_000);
});
