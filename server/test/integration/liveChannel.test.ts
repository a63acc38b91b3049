import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  LIVE_NAMESPACE,
  parseDatasetInfo,
  type ActivityEntry,
  type LiveClientToServer,
  type LiveServerToClient,
  type Presence,
  type Row,
  type StatusChange,
  withCustom,
} from "@tessera/shared-crdt";
import { buildDataDir, DS, getJson, liveClient, spawnServer, waitFor, type ServerProcess } from "./support.js";

type LiveSocket = Socket<LiveServerToClient, LiveClientToServer>;

let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess;
const sockets: LiveSocket[] = [];

beforeAll(async () => {
  data = await buildDataDir(["r1", "r2", "r3"]);
  server = await spawnServer(data.dataDir);
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await server?.kill("SIGTERM");
  await data?.cleanup();
});

/** A live-channel connection that records every event it receives. */
function join(name: string, role: string, datasetId = DS) {
  const socket: LiveSocket = io(`${server.url}${LIVE_NAMESPACE}`, {
    auth: { datasetId, name, role },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  const events: Array<[string, unknown]> = [];
  socket.onAny((event: string, payload: unknown) => events.push([event, payload]));
  const seen = <T>(event: string, pred: (p: T) => boolean = () => true) =>
    waitFor(
      () => events.find(([e, p]) => e === event && pred(p as T))?.[1] as T | undefined,
      `${name} to receive ${event}`,
    );
  return { socket, events, seen };
}

function ack<T>(emit: (cb: (r: { ok: true; value: T } | { ok: false; error: string }) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => emit((r) => (r.ok ? resolve(r.value) : reject(new Error(r.error)))));
}

describe("live channel (socket.io): presence, follow, status, activity", () => {
  it("refuses an unknown dataset at the handshake", async () => {
    const { socket } = join("mallory", "annotator", "no-such-dataset");
    const err = await new Promise<Error>((resolve) => socket.once("connect_error", resolve));
    expect(err.message).toMatch(/not found/);
  });

  it("shows who is on which record, lets a reviewer follow an annotator, and carries status changes and the activity feed", async () => {
    const alice = join("Alice", "annotator");
    const hello = await alice.seen<{ you: { id: string; color: string } }>("hello");
    expect(hello.you).toMatchObject({ id: "guest:alice", name: "Alice", role: "annotator" });
    const rita = join("Rita", "reviewer");
    await rita.seen("hello");
    await alice.seen<Presence>("presence:changed", (p) => p.user.name === "Rita");

    // Presence: record, tool and frame.
    alice.socket.emit("presence:update", { recordId: "r1", tool: "bbox", frame: 3 });
    const p = await rita.seen<Presence>("presence:changed", (x) => x.user.name === "Alice" && x.recordId === "r1");
    expect(p).toMatchObject({ tool: "bbox", frame: 3, following: null });
    const overRest = await getJson<Presence[]>(`${server.url}/datasets/${DS}/presence`);
    expect(overRest.find((x) => x.user.name === "Alice")?.recordId).toBe("r1");

    // Follow: Rita follows Alice and is told when Alice opens another record.
    const followed = await ack<{ recordId: string | null }>((cb) =>
      rita.socket.emit("follow:set", { userId: "guest:alice" }, cb),
    );
    expect(followed.recordId).toBe("r1");
    alice.socket.emit("presence:update", { recordId: "r2" });
    expect((await rita.seen<{ recordId: string }>("follow:moved")).recordId).toBe("r2");

    // Alice edits r2 live; submitting it for review closes her edit batch.
    const editor = liveClient(server, "r2", "Alice");
    await editor.synced();
    const info = await getJson<Record<string, unknown>>(`${server.url}/datasets/${DS}/info`);
    const ctx = {
      doc: editor.doc,
      schema: datasetSchemaOf(parseDatasetInfo(info)),
      recordId: "r2",
      newId: (() => {
        let n = 0;
        return () => `al-${++n}`;
      })(),
    };
    createEntity(ctx, clientOrigin("al"), {
      entity: withCustom({}, { category: "car" }),
      annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } },
    });
    createEntity(ctx, clientOrigin("al"), {
      entity: withCustom({}, { category: "bus" }),
      annotation: { table: "bboxes", row: { coords: [0.5, 0.1, 0.2, 0.2] } },
    });
    await rita.seen<StatusChange>("record:status", (s) => s.recordId === "r2" && s.to === "inProgress"); // W1
    await waitFor(() => editor.confirmed() >= 3, "edits confirmed");

    const submitted = await ack<StatusChange>((cb) =>
      alice.socket.emit("record:transition", { recordId: "r2", action: "submit" }, cb),
    );
    expect(submitted).toMatchObject({ from: "inProgress", to: "inReview", by: { name: "Alice" } });
    await expect(
      ack((cb) => alice.socket.emit("record:transition", { recordId: "r2", action: "approve" }, cb)),
    ).rejects.toThrow(/may not approve/);
    await expect(
      ack((cb) => rita.socket.emit("record:transition", { recordId: "r2", action: "reject" }, cb)),
    ).rejects.toThrow(/comment/);

    const rejected = await ack<StatusChange>((cb) =>
      rita.socket.emit("record:transition", { recordId: "r2", action: "reject", comment: "the bus box is loose" }, cb),
    );
    expect(rejected).toMatchObject({
      from: "inReview",
      to: "inProgress",
      comment: "the bus box is loose",
      by: { name: "Rita", role: "reviewer" },
    });
    const seenByAlice = await alice.seen<StatusChange>("record:status", (s) => s.action === "reject");
    expect(seenByAlice.comment).toBe("the bus box is loose");
    const record = await getJson<Row>(`${server.url}/datasets/${DS}/records/r2`);
    // The reason is a review thread; the record's own comment stays as it was (SPEC RV5).
    expect(record).toMatchObject({ status: "inProgress", comment: "" });

    // Activity: one edit batch (two entities, two boxes) then the transitions, newest first.
    const feed = await waitFor(async () => {
      const entries = await getJson<ActivityEntry[]>(`${server.url}/datasets/${DS}/activity?record_id=r2`);
      return entries.length >= 5 && entries;
    }, "activity entries");
    expect(feed.map((e) => [e.kind, e.status?.action ?? null, e.user.name])).toEqual([
      // The rejection's reason opened a review thread (SPEC RV8).
      ["review", null, "Rita"],
      ["status", "reject", "Rita"],
      ["status", "submit", "Alice"],
      ["edit", null, "Alice"],
      ["status", "edit", "Alice"],
    ]);
    expect(feed[3]?.tables).toMatchObject({ entities: { added: 2 }, bboxes: { added: 2 } });
    expect(feed[0]?.review).toMatchObject({ change: "opened", text: "the bus box is loose" });
    const live = await ack<ActivityEntry[]>((cb) => rita.socket.emit("activity:list", { recordId: "r2" }, cb));
    expect(live.map((e) => e.id)).toEqual(feed.map((e) => e.id));
    await rita.seen<ActivityEntry>("activity", (e) => e.kind === "edit");

    // REST workflow uses the same state machine.
    const wrong = await fetch(`${server.url}/datasets/${DS}/records/r3/workflow`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "approve" }),
    });
    expect(wrong.status).toBe(409);
    const ok = await fetch(`${server.url}/datasets/${DS}/records/r3/workflow`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "submit" }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ from: "new", to: "inReview", record: { status: "inReview" } });
    await rita.seen<StatusChange>("record:status", (s) => s.recordId === "r3" && s.to === "inReview");

    // When Alice leaves, Rita's follow ends.
    editor.destroy();
    alice.socket.disconnect();
    await rita.seen("follow:ended");
    await rita.seen<{ userId: string }>("presence:left", (x) => x.userId === "guest:alice");
  });
});
