import { appendFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import {
  LIVE_NAMESPACE,
  type ActivityEntry,
  type LiveClientToServer,
  type LiveServerToClient,
} from "@tessera/shared-crdt";
import {
  REVIEW_REPLIES_PER_THREAD_MAX,
  REVIEW_TEXT_MAX,
  REVIEW_THREADS_PER_RECORD_MAX,
  type ReviewQueue,
  type ReviewStamp,
  type ReviewThread,
} from "@tessera/shared-crdt/api";
import { spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import {
  ADMIN,
  bearer,
  buildDataDir,
  call,
  DS,
  jsonInit,
  percentile,
  seedUsers,
  tokenFor,
  type Reply,
} from "../auth/support.js";

/**
 * Review threads (SPEC RV) on a real server process with accounts: a rejection keeps the record's own `comment`
 * and opens a thread; threads are created, answered, resolved within the permission table and the item limits;
 * they reach a second live client, survive a restart (and a SIGKILL right after the answer); the review queue is
 * oldest first and the explorer filters by who submitted and who reviewed.
 */

type LiveSocket = Socket<LiveServerToClient, LiveClientToServer>;

let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess;
const tokens: Record<string, string> = {};
const sockets: LiveSocket[] = [];
const RECORDS = ["r1", "r2", "r3", "r4", "r5", "r6"];
const env = { TESSERA_AUTH: "on", TESSERA_ADMIN_USER: ADMIN.username, TESSERA_ADMIN_PASSWORD: ADMIN.password };

beforeAll(async () => {
  data = await buildDataDir(RECORDS);
  await seedUsers(data.dataDir);
  server = await spawnServer(data.dataDir, env);
  for (const who of ["viewer", "annotator", "reviewer"]) tokens[who] = await tokenFor(server.url, who);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await server?.stop();
  await data?.cleanup();
});

function as(who: string) {
  // Tokens are made in beforeAll: read them at each call.
  const auth = () => bearer(tokens[who] ?? "");
  const base = () => `${server.url}/datasets/${DS}`;
  return {
    get: (path: string): Promise<Reply> => call(`${base()}${path}`, { headers: auth() }),
    send: (method: string, path: string, body: unknown): Promise<Reply> =>
      call(`${base()}${path}`, jsonInit(method, body, auth())),
  };
}
const annotator = as("annotator");
const reviewer = as("reviewer");
const viewer = as("viewer");

const threadsOf = async (record: string) =>
  (await reviewer.get(`/records/${record}/review/threads`)).body as ReviewThread[];
const recordOf = async (record: string) =>
  (await reviewer.get(`/records/${record}`)).body as { status: string; comment: string };
async function workflow(who: ReturnType<typeof as>, record: string, action: string, comment?: string): Promise<Reply> {
  return who.send("POST", `/records/${record}/workflow`, comment === undefined ? { action } : { action, comment });
}

function join(who: string): { socket: LiveSocket; events: Array<[string, unknown]> } {
  const socket: LiveSocket = io(`${server.url}${LIVE_NAMESPACE}`, {
    auth: { datasetId: DS, token: tokens[who] },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  const events: Array<[string, unknown]> = [];
  socket.onAny((event: string, payload: unknown) => events.push([event, payload]));
  return { socket, events };
}

describe("review threads (SPEC RV)", () => {
  it("a rejection with a comment keeps the record's own comment and opens a review thread with the reason", async () => {
    expect(
      (await annotator.send("PUT", "/records/r1", { comment: "my note: the left car is half hidden" })).status,
    ).toBe(200);
    expect((await workflow(annotator, "r1", "submit")).status).toBe(200);
    const rejected = await workflow(reviewer, "r1", "reject", "the bus box is loose");
    expect(rejected.status).toBe(200);
    expect(rejected.body.record).toMatchObject({
      status: "inProgress",
      comment: "my note: the left car is half hidden",
    });
    expect(await recordOf("r1")).toMatchObject({ comment: "my note: the left car is half hidden" });

    const [thread, ...others] = await threadsOf("r1");
    expect(others).toEqual([]);
    expect(thread).toMatchObject({
      record_id: "r1",
      origin: "reject",
      resolved: false,
      pin: null,
      author: { id: "reviewer", name: "reviewer" },
      messages: [{ text: "the bus box is loose", author: { id: "reviewer" } }],
    });
    const [stamp] = (await reviewer.get("/review/stamps?record_id=r1")).body as ReviewStamp[];
    expect(stamp).toMatchObject({
      submitted_by: { id: "annotator" },
      reviewed_by: { id: "reviewer" },
      verdict: "rejected",
      rejected: true,
      open_threads: 1,
    });

    // The annotator answers and resubmits; the reviewer resolves and approves; the comment never changes.
    const id = thread?.id ?? "";
    expect(
      (await annotator.send("POST", `/records/r1/review/threads/${id}/replies`, { text: "tightened" })).status,
    ).toBe(201);
    expect((await workflow(annotator, "r1", "submit")).status).toBe(200);
    expect((await reviewer.send("PATCH", `/records/r1/review/threads/${id}`, { resolved: true })).body).toMatchObject({
      resolved: true,
      resolved_by: { id: "reviewer" },
      messages: [{ text: "the bus box is loose" }, { text: "tightened", author: { id: "annotator" } }],
    });
    expect((await workflow(reviewer, "r1", "approve")).status).toBe(200);
    expect(await recordOf("r1")).toMatchObject({
      status: "validated",
      comment: "my note: the left car is half hidden",
    });
    const [after] = (await reviewer.get("/review/stamps?record_id=r1")).body as ReviewStamp[];
    expect(after).toMatchObject({ verdict: "approved", rejected: false, open_threads: 0 });
  });

  it("opens threads pinned to an object, a point or a region; refuses a half pin, an empty or too long text, an unknown thread", async () => {
    const pins = [
      { entity_id: "e1", annotation_id: "b1" },
      { view_name: "image", x: 0.25, y: 0.5 },
      { view_name: "image", x: 0.1, y: 0.1, w: 0.3, h: 0.2 },
    ];
    for (const pin of pins) {
      const r = await reviewer.send("POST", "/records/r2/review/threads", { text: "look here", pin });
      expect(r.status).toBe(201);
      expect((r.body as ReviewThread).pin).toEqual(pin);
    }
    const refusals: Array<[unknown, number, RegExp]> = [
      [{ text: "x", pin: { x: 0.5 } }, 422, /both x and y/],
      [{ text: "x", pin: { w: 0.5, h: 0.5 } }, 422, /x and y/],
      [{ text: "x", pin: { x: 2, y: 0 } }, 422, /less than or equal/i],
      [{ text: "" }, 422, /at least 1/i],
      [{ text: "t".repeat(REVIEW_TEXT_MAX + 1) }, 422, /at most|4000/],
      [{ text: "x", extra: 1 }, 422, /extra|not permitted|additional/i],
    ];
    for (const [body, status, detail] of refusals) {
      const r = await reviewer.send("POST", "/records/r2/review/threads", body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(r.body.detail), JSON.stringify(body)).toMatch(detail);
    }
    expect((await threadsOf("r2")).length).toBe(3);
    const unknown = await reviewer.send("POST", "/records/r2/review/threads/nope/replies", { text: "x" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/nope/);
    expect((await reviewer.get("/records/no-such-record/review/threads")).status).toBe(404);
  });

  it("follows the permission table: viewers read, annotators open and answer, only reviewers resolve, strangers nothing", async () => {
    const opened = await annotator.send("POST", "/records/r3/review/threads", { text: "is this a truck?" });
    expect(opened.status).toBe(201);
    const id = (opened.body as ReviewThread).id;
    expect((await viewer.get("/records/r3/review/threads")).status).toBe(200);
    expect((await viewer.send("POST", "/records/r3/review/threads", { text: "x" })).status).toBe(403);
    expect((await viewer.send("POST", `/records/r3/review/threads/${id}/replies`, { text: "x" })).status).toBe(403);
    const notYours = await annotator.send("PATCH", `/records/r3/review/threads/${id}`, { resolved: true });
    expect(notYours.status).toBe(403);
    expect(notYours.body.detail).toMatch(/reviewer/);
    expect((await call(`${server.url}/datasets/${DS}/records/r3/review/threads`)).status).toBe(401);
    expect((await reviewer.send("PATCH", `/records/r3/review/threads/${id}`, { resolved: true })).status).toBe(200);
    expect((await threadsOf("r3"))[0]?.resolved).toBe(true);
  });

  it("counts threads per record and replies per thread: one past the limit is a 409 with a detail, and a rejection of a full record changes nothing", async () => {
    // Each answer waits for its fsync: the latency of that is printed (no threshold, the machine is shared).
    const took: number[] = [];
    for (let i = (await threadsOf("r4")).length; i < REVIEW_THREADS_PER_RECORD_MAX; i++) {
      const t0 = performance.now();
      expect((await reviewer.send("POST", "/records/r4/review/threads", { text: `t${i}` })).status).toBe(201);
      took.push(performance.now() - t0);
    }
    took.sort((a, b) => a - b);
    console.log(
      `review: ${took.length} thread POSTs (fsync'd): p50 ${percentile(took, 50).toFixed(1)} ms, p99 ${percentile(took, 99).toFixed(1)} ms, max ${(took.at(-1) ?? 0).toFixed(1)} ms; load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    const over = await reviewer.send("POST", "/records/r4/review/threads", { text: "one more" });
    expect(over.status).toBe(409);
    expect(over.body.detail).toMatch(/limit is 200/);

    expect((await workflow(annotator, "r4", "submit")).status).toBe(200);
    const reject = await workflow(reviewer, "r4", "reject", "one more reason");
    expect(reject.status).toBe(409);
    expect(reject.body.detail).toMatch(/review threads/);
    expect((await recordOf("r4")).status).toBe("inReview");
    expect((await threadsOf("r4")).length).toBe(REVIEW_THREADS_PER_RECORD_MAX);

    const id = (await threadsOf("r4"))[0]?.id ?? "";
    for (let i = 0; i < REVIEW_REPLIES_PER_THREAD_MAX; i++)
      expect((await annotator.send("POST", `/records/r4/review/threads/${id}/replies`, { text: `r${i}` })).status).toBe(
        201,
      );
    const tooMany = await annotator.send("POST", `/records/r4/review/threads/${id}/replies`, { text: "again" });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.detail).toMatch(/limit is 200/);
    // The server kept serving the others meanwhile.
    expect((await viewer.get("/records/r1")).status).toBe(200);
  }, 120_000);

  it("sends each thread change live to a second client on the dataset, and lists it in the activity feed", async () => {
    const watcher = join("annotator");
    await waitFor(() => watcher.events.some(([e]) => e === "hello"), "hello");
    const opened = (
      await reviewer.send("POST", "/records/r5/review/threads", { text: "live one", pin: { x: 0.5, y: 0.5 } })
    ).body as ReviewThread;
    const seen = await waitFor(
      () =>
        watcher.events.find(
          ([e, p]) => e === "review:thread" && (p as { thread: ReviewThread }).thread.id === opened.id,
        )?.[1] as { thread: ReviewThread; change: string; by: { id: string } } | undefined,
      "review:thread opened",
    );
    expect(seen).toMatchObject({
      change: "opened",
      by: { id: "reviewer" },
      thread: { record_id: "r5", resolved: false },
    });
    await reviewer.send("POST", `/records/r5/review/threads/${opened.id}/replies`, { text: "a reply" });
    await reviewer.send("PATCH", `/records/r5/review/threads/${opened.id}`, { resolved: true });
    await waitFor(
      () =>
        watcher.events.some(
          ([e, p]) =>
            e === "review:thread" &&
            (p as { change: string; thread: ReviewThread }).change === "resolved" &&
            (p as { thread: ReviewThread }).thread.messages.length === 2,
        ),
      "review:thread resolved",
    );
    const feed = (await viewer.get("/activity?record_id=r5")).body as ActivityEntry[];
    expect(feed.filter((a) => a.kind === "review").map((a) => a.review?.change)).toEqual([
      "resolved",
      "replied",
      "opened",
    ]);
    expect(feed.find((a) => a.review?.change === "opened")?.review).toMatchObject({ text: "live one", pinned: true });
  });

  it("a rejection over the live channel carries a pin to its thread; a malformed pin is refused and changes nothing", async () => {
    const rita = join("reviewer");
    await waitFor(() => rita.events.some(([e]) => e === "hello"), "hello");
    const send = (pin: unknown) =>
      new Promise<{ ok: boolean; error?: string }>((resolve) =>
        rita.socket.emit(
          "record:transition",
          { recordId: "r3", action: "reject", comment: "this box", pin: pin as { x: number } },
          resolve,
        ),
      );
    expect((await workflow(annotator, "r3", "submit")).status).toBe(200);
    for (const bad of [{ x: 3, y: 0 }, { x: 0.5 }, "here"]) {
      const r = await send(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      expect(r.error).toMatch(/pin/);
    }
    expect((await recordOf("r3")).status).toBe("inReview");
    const done = await send({ entity_id: "e7", view_name: "image", x: 0.4, y: 0.6 });
    expect(done.ok).toBe(true);
    const pinned = (await threadsOf("r3")).find((t) => t.origin === "reject");
    expect(pinned).toMatchObject({ pin: { entity_id: "e7", x: 0.4, y: 0.6 }, messages: [{ text: "this box" }] });
    expect(await recordOf("r3")).toMatchObject({ status: "inProgress", comment: "" });
  });

  it("takes thread changes over the live channel with the connection's identity and the same rules", async () => {
    const [ann, view, rev] = [join("annotator"), join("viewer"), join("reviewer")];
    for (const c of [ann, view, rev]) await waitFor(() => c.events.some(([e]) => e === "hello"), "hello");
    type Ack = { ok: true; value: ReviewThread } | { ok: false; error: string; reason?: string };
    const ask = (c: { socket: LiveSocket }, event: "review:open" | "review:reply" | "review:resolve", p: object) =>
      new Promise<Ack>((resolve) =>
        (c.socket.emit as (e: string, p: object, ack: (r: Ack) => void) => void)(event, p, resolve),
      );
    const opened = await ask(ann, "review:open", { recordId: "r5", text: "over live", pin: { entity_id: "e2" } });
    if (!opened.ok) throw new Error(opened.error);
    expect(opened.value).toMatchObject({ author: { id: "annotator" }, pin: { entity_id: "e2" }, record_id: "r5" });
    const id = opened.value.id;
    expect(await ask(view, "review:open", { recordId: "r5", text: "x" })).toMatchObject({
      ok: false,
      reason: "forbidden",
    });
    expect(await ask(ann, "review:resolve", { recordId: "r5", threadId: id, resolved: true })).toMatchObject({
      ok: false,
      reason: "forbidden",
    });
    expect(await ask(ann, "review:open", { recordId: "r5", text: "" })).toMatchObject({
      ok: false,
      reason: "bad_request",
    });
    expect(await ask(ann, "review:open", { recordId: "nope", text: "x" })).toMatchObject({ ok: false });
    expect(await ask(ann, "review:reply", { recordId: "r5", threadId: "nope", text: "x" })).toMatchObject({
      ok: false,
      reason: "not_found",
    });
    expect(await ask(rev, "review:reply", { recordId: "r5", threadId: id, text: "ok" })).toMatchObject({ ok: true });
    expect(await ask(rev, "review:resolve", { recordId: "r5", threadId: id, resolved: true })).toMatchObject({
      ok: true,
      value: { resolved: true, resolved_by: { id: "reviewer" } },
    });
    expect((await threadsOf("r5")).find((t) => t.id === id)?.messages.map((m) => m.author.id)).toEqual([
      "annotator",
      "reviewer",
    ]);
  });

  it("lists the review queue oldest submission first and filters the explorer by who submitted and who reviewed", async () => {
    for (const r of ["r6", "r2", "r5"]) expect((await workflow(annotator, r, "submit")).status).toBe(200);
    const queue = (await reviewer.get("/review/queue")).body as ReviewQueue;
    // r4 waits since the limits test, before these three.
    expect(queue.items.map((i) => i.record_id)).toEqual(["r4", "r6", "r2", "r5"]);
    expect(queue.items[1]).toMatchObject({ submitted_by: { id: "annotator" } });
    expect((await workflow(reviewer, "r6", "approve")).status).toBe(200);
    expect(((await reviewer.get("/review/queue")).body as ReviewQueue).items.map((i) => i.record_id)).toEqual([
      "r4",
      "r2",
      "r5",
    ]);
    const ids = async (q: string) =>
      ((await viewer.get(`/records?${q}`)).body.items as Array<{ id: string }>).map((r) => r.id);
    expect(await ids("reviewed_by=reviewer")).toEqual(["r1", "r3", "r6"]);
    expect(await ids("submitted_by=annotator&filter=status:eq:inReview")).toEqual(["r2", "r4", "r5"]);
    expect(await ids("reviewed_by=nobody")).toEqual([]);
  });

  it("keeps threads and stamps across a restart, including a SIGKILL right after the answer", async () => {
    const before = await threadsOf("r1");
    const last = await reviewer.send("POST", "/records/r6/review/threads", { text: "written just before the crash" });
    expect(last.status).toBe(201);
    await server.kill("SIGKILL");
    server = await spawnServer(data.dataDir, env);
    expect(await threadsOf("r1")).toEqual(before);
    expect((await threadsOf("r6")).map((t) => t.messages[0]?.text)).toEqual(["written just before the crash"]);
    const [stamp] = (await reviewer.get("/review/stamps?record_id=r6")).body as ReviewStamp[];
    expect(stamp).toMatchObject({
      submitted_by: { id: "annotator" },
      reviewed_by: { id: "reviewer" },
      verdict: "approved",
    });
    // And the server takes new threads after the restart (the log is appended to, not replaced).
    expect((await reviewer.send("POST", "/records/r6/review/threads", { text: "after" })).status).toBe(201);
    expect((await threadsOf("r6")).length).toBe(2);
  }, 60_000);

  it("cuts a torn last line of the review log (a crash mid-write) so the next change is not glued onto it", async () => {
    expect((await reviewer.send("POST", "/records/r6/review/threads", { text: "before the tear" })).status).toBe(201);
    const before = await threadsOf("r6");
    await server.kill("SIGKILL");
    const log = path.join(data.dataDir, ".tessera", "review", `${Buffer.from(DS).toString("base64url")}.jsonl`);
    await appendFile(log, '{"t":"reply","record_id":"r6","thr');
    server = await spawnServer(data.dataDir, env);
    expect(await threadsOf("r6")).toEqual(before);
    expect((await reviewer.send("POST", "/records/r6/review/threads", { text: "after the tear" })).status).toBe(201);
    await server.stop();
    server = await spawnServer(data.dataDir, env);
    expect((await threadsOf("r6")).map((t) => t.messages[0]?.text)).toEqual([
      ...before.map((t) => t.messages[0]?.text),
      "after the tear",
    ]);
  }, 60_000);
});
