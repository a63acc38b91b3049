import { appendFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import {
  LIVE_NAMESPACE,
  type AssignChange,
  type LiveClientToServer,
  type LiveServerToClient,
} from "@tessera/shared-crdt";
import type { AssignmentList, AssignProgress, AssignResult, NextForMe } from "@tessera/shared-crdt/api";
import { DS, startCampaign, waitFor, type Campaign } from "./support.js";

/**
 * Assignments (SPEC AS) over REST on a real server process with accounts: the lead assigns by selection and by the
 * explorer's filter, split evenly or round-robin; "next for me" walks each person's queue; progress per person;
 * every change reaches the dataset's live room, survives a restart, and oversized requests are refused whole.
 */

const RECORDS = Array.from({ length: 12 }, (_, i) => `r${String(i + 1).padStart(2, "0")}`);
let c: Campaign;

beforeAll(async () => {
  c = await startCampaign(RECORDS);
}, 90_000);

afterAll(async () => {
  await c?.close();
});

const lead = () => c.as("admin");
const list = async (query = "") => (await lead().get(`/assignments${query}`)).body as unknown as AssignmentList;
const next = async (who: string, query = "") =>
  (await c.as(who).get(`/assignments/next-for-me${query}`)).body as unknown as NextForMe;

describe("assignments (SPEC AS)", () => {
  it("AS2/AS3: the lead assigns 10 selected records split evenly: alice gets the first 5, bob the next 5", async () => {
    const r = await lead().send("POST", "/assignments", {
      record_ids: RECORDS.slice(0, 10),
      annotators: ["alice", "bob"],
      reviewers: ["rita"],
    });
    expect(r.status).toBe(200);
    const result = r.body as unknown as AssignResult;
    expect(result.changed).toBe(20);
    expect(result.per_person).toEqual([
      { person: { id: "alice", name: "alice" }, role: "annotator", count: 5 },
      { person: { id: "bob", name: "bob" }, role: "annotator", count: 5 },
      { person: { id: "rita", name: "rita" }, role: "reviewer", count: 10 },
    ]);
    const alice = await list("?person=alice");
    expect(alice.items.map((a) => a.record_id)).toEqual(RECORDS.slice(0, 5));
    expect(alice.items[0]).toMatchObject({
      annotator: { id: "alice" },
      reviewer: { id: "rita" },
      assigned_by: { id: "admin" },
    });
    expect((await list("?person=bob&role=annotator")).items.map((a) => a.record_id)).toEqual(RECORDS.slice(5, 10));
    expect((await list("?person=rita&role=annotator")).items).toEqual([]);
    expect((await list()).lock.locked).toBe(false);
    // The explorer's "Assigned to" filter: the records listing takes `assigned_to` (with the other filters).
    const listing = await lead().get("/records?assigned_to=bob&limit=50");
    expect(listing.status).toBe(200);
    expect((listing.body.items as Array<{ id: string }>).map((r) => r.id)).toEqual(RECORDS.slice(5, 10));
    const none = await lead().get("/records?assigned_to=vic");
    expect(none.body.items).toEqual([]);
  });

  it("AS2/AS3: an explorer filter is resolved by the server; round-robin alternates; unassign clears one side", async () => {
    const r = await lead().send("POST", "/assignments", {
      filter: { filter: ["id:in:r11,r12"] },
      annotators: ["bob", "alice"],
      mode: "round_robin",
    });
    expect(r.status).toBe(200);
    const all = await list();
    expect(all.items.find((a) => a.record_id === "r11")?.annotator?.id).toBe("bob");
    expect(all.items.find((a) => a.record_id === "r12")?.annotator?.id).toBe("alice");
    const un = await lead().send("POST", "/assignments/unassign", { record_ids: ["r11", "r12"], role: "annotator" });
    expect(un.status).toBe(200);
    expect((un.body as unknown as AssignResult).changed).toBe(2);
    expect((await list()).items.map((a) => a.record_id)).toEqual(RECORDS.slice(0, 10));
    const bad = await lead().send("POST", "/assignments", { filter: { filter: ["nope:eq:1"] }, annotators: ["bob"] });
    expect(bad.status).toBe(400);
    expect(String(bad.body.detail)).toContain("nope");
  });

  it("AS5: next-for-me is the oldest unfinished assignment, skips the current record, and moves on after submit", async () => {
    expect((await next("alice")).item).toMatchObject({ record_id: "r01", role: "annotator", status: "new" });
    expect((await next("alice", "?current=r01")).item?.record_id).toBe("r02");
    expect((await next("alice")).remaining).toBe(5);
    expect((await next("rita")).item).toBeNull();
    const submit = await c.as("alice").send("POST", "/records/r01/workflow", { action: "submit" });
    expect(submit.status).toBe(200);
    expect((await next("alice")).item?.record_id).toBe("r02");
    expect((await next("alice")).remaining).toBe(4);
    expect((await next("rita")).item).toMatchObject({ record_id: "r01", role: "reviewer", status: "inReview" });
    const reject = await c.as("rita").send("POST", "/records/r01/workflow", { action: "reject", comment: "loose box" });
    expect(reject.status).toBe(200);
    expect((await next("rita")).item).toBeNull();
    expect((await next("alice")).item).toMatchObject({ record_id: "r01", status: "inProgress", rejected: true });
  });

  it("AS8: progress per person counts assigned, done, in review and rejected", async () => {
    expect((await c.as("bob").send("POST", "/records/r06/workflow", { action: "submit" })).status).toBe(200);
    expect((await c.as("bob").send("POST", "/records/r07/workflow", { action: "submit" })).status).toBe(200);
    expect((await c.as("rita").send("POST", "/records/r06/workflow", { action: "approve" })).status).toBe(200);
    const p = (await c.as("vic").get("/assignments/progress")).body as unknown as AssignProgress;
    expect(p.total).toBe(12);
    expect(p.unassigned).toBe(2);
    expect(p.people).toEqual([
      { person: { id: "alice", name: "alice" }, role: "annotator", assigned: 5, done: 0, in_review: 0, rejected: 1 },
      { person: { id: "bob", name: "bob" }, role: "annotator", assigned: 5, done: 2, in_review: 1, rejected: 0 },
      { person: { id: "rita", name: "rita" }, role: "reviewer", assigned: 10, done: 1, in_review: 1, rejected: 1 },
    ]);
    expect((await list("?status=rejected")).items.map((a) => a.record_id)).toEqual(["r01"]);
    expect((await list("?person=bob&status=inReview")).items.map((a) => a.record_id)).toEqual(["r07"]);
  });

  it("AS4: only the dataset's admin assigns or locks; people must be able to take the side; missing records write nothing", async () => {
    for (const who of ["alice", "rita", "vic"]) {
      const r = await c.as(who).send("POST", "/assignments", { record_ids: ["r11"], annotators: [who] });
      expect(r.status).toBe(403);
      expect((await c.as(who).send("PUT", "/assignments/lock", { locked: true })).status).toBe(403);
    }
    const viewer = await lead().send("POST", "/assignments", { record_ids: ["r11"], annotators: ["vic"] });
    expect(viewer.status).toBe(422);
    expect(String(viewer.body.detail)).toContain("viewer");
    const noReview = await lead().send("POST", "/assignments", { record_ids: ["r11"], reviewers: ["bob"] });
    expect(noReview.status).toBe(422);
    const stranger = await lead().send("POST", "/assignments", { record_ids: ["r11"], annotators: ["mallory"] });
    expect(stranger.status).toBe(422);
    const missing = await lead().send("POST", "/assignments", { record_ids: ["r11", "ghost"], annotators: ["bob"] });
    expect(missing.status).toBe(404);
    expect(String(missing.body.detail)).toContain("'ghost'");
    const both = await lead().send("POST", "/assignments", { record_ids: ["r11"], filter: {}, annotators: ["bob"] });
    expect(both.status).toBe(422);
    expect((await list()).items.map((a) => a.record_id)).toEqual(RECORDS.slice(0, 10));
  });

  it("AS4: a request naming 100,000 ids (422) or a 10 MB body (413) is refused with a detail; the server keeps serving", async () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `x${i}`);
    const many = await lead().send("POST", "/assignments", { record_ids: ids, annotators: ["bob"] });
    expect(many.status).toBe(422);
    expect(many.body.detail).toBeTruthy();
    const huge = await lead().send("POST", "/assignments", {
      record_ids: ["r11"],
      annotators: ["bob"],
      pad: "x".repeat(10 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(String(huge.body.detail)).toContain("too large");
    const people = await lead().send("POST", "/assignments", {
      record_ids: ["r11"],
      annotators: Array.from({ length: 101 }, (_, i) => `p${i}`),
    });
    expect(people.status).toBe(422);
    expect((await list()).items.map((a) => a.record_id)).toEqual(RECORDS.slice(0, 10));
    expect((await lead().get("/assignments/people")).body).toBeTruthy();
  });

  it("AS7: every change reaches the dataset's live room after it is on disk", async () => {
    const socket: Socket<LiveServerToClient, LiveClientToServer> = io(`${c.server.url}${LIVE_NAMESPACE}`, {
      auth: { datasetId: DS, token: c.as("vic").token },
      transports: ["websocket"],
      reconnection: false,
    });
    try {
      const seen: AssignChange[] = [];
      socket.on("assign:changed", (e) => seen.push(e));
      await waitFor(() => socket.connected, "live socket connected");
      expect((await lead().send("POST", "/assignments", { record_ids: ["r11"], annotators: ["bob"] })).status).toBe(
        200,
      );
      expect((await lead().send("PUT", "/assignments/lock", { locked: true })).status).toBe(200);
      expect((await lead().send("PUT", "/assignments/lock", { locked: false })).status).toBe(200);
      await waitFor(() => seen.length >= 3, "three assign:changed events");
      expect(seen).toEqual([
        { change: "assigned", record_ids: ["r11"], by: { id: "admin", name: "Administrator" } },
        { change: "locked", record_ids: [], by: { id: "admin", name: "Administrator" } },
        { change: "unlocked", record_ids: [], by: { id: "admin", name: "Administrator" } },
      ]);
    } finally {
      socket.disconnect();
    }
  });

  it("AS1/AS2: assignments survive a restart, and a torn last line (crash mid-write) is dropped, not fatal", async () => {
    const before = await list();
    const dir = path.join(c.dataDir, ".tessera", "assign");
    const [file, ...others] = await readdir(dir);
    expect(others).toEqual([]);
    await c.restart();
    await appendFile(path.join(dir, file ?? ""), '{"t":"assign","role":"annotator","to":{"id":"bob"');
    const after = await list();
    expect(after.items).toEqual(before.items);
    expect(after.lock.locked).toBe(false);
    expect((await lead().send("POST", "/assignments", { record_ids: ["r12"], annotators: ["alice"] })).status).toBe(
      200,
    );
    await c.restart();
    expect((await list("?person=alice")).items.map((a) => a.record_id)).toEqual([...RECORDS.slice(0, 5), "r12"]);
  }, 60_000);
});
