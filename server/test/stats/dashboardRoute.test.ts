import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatasetDashboard } from "@tessera/shared-crdt/api";
import { spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { ADMIN, bearer, buildDataDir, call, DS, jsonInit, seedUsers, tokenFor, type Reply } from "../auth/support.js";

/**
 * `GET /datasets/{id}/dashboard` (SPEC D-DASH) on a real server process with accounts: workflow transitions made
 * over REST show in the throughput and the status series, the current counts are the explorer's, anyone who reads
 * the dataset reads it, junk windows get a 422 `{"detail"}` and the server keeps serving.
 */

let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess;
const tokens: Record<string, string> = {};
const RECORDS = ["r1", "r2", "r3", "r4"];
const env = { TESSERA_AUTH: "on", TESSERA_ADMIN_USER: ADMIN.username, TESSERA_ADMIN_PASSWORD: ADMIN.password };

beforeAll(async () => {
  data = await buildDataDir(RECORDS);
  await seedUsers(data.dataDir);
  server = await spawnServer(data.dataDir, env);
  for (const who of ["viewer", "annotator", "reviewer"]) tokens[who] = await tokenFor(server.url, who);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await data?.cleanup();
});

const get = (who: string, path: string): Promise<Reply> =>
  call(`${server.url}/datasets/${DS}${path}`, { headers: bearer(tokens[who] ?? "") });
const workflow = (who: string, record: string, action: string, comment?: string): Promise<Reply> =>
  call(
    `${server.url}/datasets/${DS}/records/${record}/workflow`,
    jsonInit("POST", comment === undefined ? { action } : { action, comment }, bearer(tokens[who] ?? "")),
  );

/** The explorer's count of one status: the records listing filtered on it. */
async function explorerCount(status: string): Promise<number> {
  const r = await get("viewer", `/records?filter=${encodeURIComponent(`status:eq:${status}`)}&limit=1`);
  expect(r.status).toBe(200);
  return (r.body as { total: number }).total;
}

describe("GET /datasets/{id}/dashboard (SPEC D-DASH)", () => {
  it("transitions made over REST reach the throughput and the status series; current counts are the explorer's", async () => {
    for (const r of ["r1", "r2", "r3"]) expect((await workflow("annotator", r, "submit")).status).toBe(200);
    expect((await workflow("reviewer", "r1", "approve")).status).toBe(200);
    expect((await workflow("reviewer", "r2", "reject", "the box is loose")).status).toBe(200);
    // The feed is appended in the background: wait until the dashboard has read all five transitions.
    const dash = await waitFor(
      async () => {
        const r = await get("viewer", "/dashboard");
        expect(r.status).toBe(200);
        const d = r.body as DatasetDashboard;
        return d.throughput.reduce((a, t) => a + t.submitted + t.approved + t.rejected, 0) === 5 ? d : null;
      },
      "the five transitions in the dashboard",
      15_000,
    );
    expect(dash.throughput.find((t) => t.user.name === "annotator")).toMatchObject({
      submitted: 3,
      approved: 0,
      rejected: 0,
    });
    expect(dash.throughput.find((t) => t.user.name === "reviewer")).toMatchObject({
      submitted: 0,
      approved: 1,
      rejected: 1,
    });
    await waitFor(
      async () => {
        const now = ((await get("viewer", "/dashboard")).body as DatasetDashboard).current;
        return now.validated === 1 && now.inReview === 1;
      },
      "the statuses stored",
      15_000,
    );
    const now = ((await get("viewer", "/dashboard")).body as DatasetDashboard).current;
    for (const s of ["new", "inProgress", "inReview", "validated"] as const)
      expect(now[s]).toBe(await explorerCount(s));
    expect(now).toEqual({ new: 1, inProgress: 1, inReview: 1, validated: 1, other: 0 });
    expect(dash.bucket).toBe("hour");
    expect(dash.status_over_time.at(-1)?.counts.new).toBeLessThanOrEqual(1);
  });

  it("edits through the record documents become edit batches with `until` (SPEC D-TIME): time spent per record and per person", async () => {
    const put = (comment: string) =>
      call(`${server.url}/datasets/${DS}/records/r4`, jsonInit("PUT", { comment }, bearer(tokens.annotator ?? "")));
    expect((await put("first pass")).status).toBe(200);
    expect((await put("second pass")).status).toBe(200);
    // Her submit closes her open edit batch on the record (L-ACTIVITY), which is then written with its last edit.
    expect((await workflow("annotator", "r4", "submit")).status).toBe(200);
    const d = await waitFor(
      async () => {
        const r = (await get("viewer", "/dashboard")).body as DatasetDashboard;
        return r.time_spent.per_person.some((p) => p.user.name === "annotator") ? r : null;
      },
      "the edit batch in the dashboard",
      15_000,
    );
    expect(d.time_spent.longest.map((l) => l.record_id)).toContain("r4");
    const mine = d.time_spent.per_person.find((p) => p.user.name === "annotator");
    expect(mine?.records).toBe(1);
    // Two requests apart: more than nothing, less than the test.
    expect(mine?.total_seconds).toBeGreaterThan(0);
    expect(mine?.total_seconds).toBeLessThan(60);
  });

  it("anyone who can read the dataset reads it; without an account, no", async () => {
    expect((await get("viewer", "/dashboard")).status).toBe(200);
    expect((await get("annotator", "/dashboard")).status).toBe(200);
    expect((await call(`${server.url}/datasets/${DS}/dashboard`)).status).toBe(401);
    const missing = await call(`${server.url}/datasets/nope/dashboard`, { headers: bearer(tokens.viewer ?? "") });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: "Dataset 'nope' not found." });
  });

  it.each([
    ["bucket=week", 422],
    ["from=yesterday", 422],
    ["from=2026-03-10T00:00:00Z&to=2026-03-09T00:00:00Z", 422],
    ["from=2000-01-01&bucket=hour", 422],
    [`from=${"9".repeat(100)}`, 422],
  ])("junk window %s → %i with a detail, and the server keeps serving", async (qs, status) => {
    const r = await get("viewer", `/dashboard?${qs}`);
    expect(r.status).toBe(status);
    expect(r.body).toHaveProperty("detail");
    expect((await get("viewer", "/dashboard")).status).toBe(200);
  });

  it("is in the OpenAPI document with its TypeBox contract", async () => {
    const doc = (await call(`${server.url}/openapi.json`, { headers: bearer(tokens.viewer ?? "") })).body as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };
    const op = doc.paths["/datasets/{dataset_id}/dashboard"]?.get;
    expect(op?.operationId).toBe("get_dataset_dashboard");
    expect(JSON.stringify(op?.responses["200"])).toContain("DatasetDashboard");
  });
});
