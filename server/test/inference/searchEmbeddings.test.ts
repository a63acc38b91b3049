import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { postJson } from "./support.js";
import { buildSearchDataDir, DUPLICATE, PURE, QUERY, SEARCH_DS, type SearchDataDir } from "./searchSupport.js";

/**
 * Semantic search end to end: the real server process and its inference worker, real onnxruntime
 * sessions on the tiny CLIP pair (scripts/tiny-clip.mjs), a real LanceDB dataset; Pixano 0.8's
 * routes (`POST /embeddings/compute`, `GET /io/jobs/{id}`, `POST /records/search`, `GET /filters`).
 */
const PYTHON = "/work/pixano-venv/bin/python";

interface Job {
  job_id: string;
  kind: string;
  status: string;
  progress: { done: number; total: number | null; table_counts: Record<string, number> };
}
interface SearchAnswer {
  items: Array<{ id: string; _distance: number; view_previews: Record<string, { id: string }> | null }>;
  total: number;
  model: string;
  mode: string;
  k: number;
}

async function finished(base: string, id: string, timeoutMs = 60_000): Promise<Job> {
  return waitFor(
    async () => {
      const j = await getJson<Job>(`${base}/io/jobs/${id}`);
      return j.status === "done" || j.status === "error" || j.status === "cancelled" ? j : null;
    },
    `embedding job ${id}`,
    timeoutMs,
  );
}

async function search(base: string, body: unknown): Promise<SearchAnswer> {
  const r = await postJson(`${base}/datasets/${SEARCH_DS}/records/search`, body);
  if (r.status !== 200) throw new Error(`search ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as SearchAnswer;
}

describe("semantic search with the tiny CLIP pair", () => {
  let built: SearchDataDir;
  let server: ServerProcess;

  beforeAll(async () => {
    built = await buildSearchDataDir();
    server = await spawnServer(built.dataDir);
  });
  afterAll(async () => {
    await server?.stop();
    await built?.cleanup();
  });

  it("search before any embeddings answers Pixano's 400 'compute them first'; /filters offers text search only", async () => {
    const r = await postJson(`${server.url}/datasets/${SEARCH_DS}/records/search`, { text: "red" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ detail: "No record embeddings; compute them first." });
    const filters = await getJson<{ search: { modes: string[]; status: string } }>(
      `${server.url}/datasets/${SEARCH_DS}/filters`,
    );
    expect(filters.search).toMatchObject({ modes: ["text"], status: "absent" });
  });

  it("POST /embeddings/compute runs a job polled at /io/jobs/{id} that embeds every image view", async () => {
    const r = await postJson(`${server.url}/datasets/${SEARCH_DS}/embeddings/compute`, { model: "tiny-clip" });
    expect(r.status).toBe(202);
    const { job_id } = r.body as { job_id: string };
    const job = await finished(server.url, job_id);
    const n = built.recordIds.length;
    expect(job).toMatchObject({ kind: "embed", status: "done", progress: { done: n, total: n } });
    expect(job.progress.table_counts.embeddings).toBe(n);
    // Listed with the import/export jobs, as Pixano's job store does.
    expect((await getJson<Job[]>(`${server.url}/io/jobs`)).map((j) => j.job_id)).toContain(job_id);
    const filters = await getJson<{ search: Record<string, unknown> }>(`${server.url}/datasets/${SEARCH_DS}/filters`);
    expect(filters.search).toMatchObject({
      modes: ["text", "semantic"],
      models: ["tiny-clip"],
      status: "ready",
      embedded_rows: n,
      total_records: n,
    });
    const sidecar = JSON.parse(
      await readFile(path.join(built.dataDir, "library", "search_ds", "embeddings.json"), "utf8"),
    );
    expect(sidecar).toMatchObject({ table: "embeddings", model_id: "tiny-clip", dim: 12, metric: "cosine" });
    // The job writes its vectors in few commits (up to 256 at a time, or every 10 s), not one per
    // batch of 8: one data file for these views (two if the first write was due by time on a slow
    // machine), where a write per batch left one per 8 views (4 here) for every search to open.
    expect(n).toBeGreaterThan(24);
    const data = path.join(built.dataDir, "library", "search_ds", "db", "embeddings.lance", "data");
    expect((await readdir(data)).filter((f) => f.endsWith(".lance")).length).toBeLessThanOrEqual(2);
  });

  it("more like this: the planted near-duplicate (re-encoded JPEG, noise, other size) ranks first after the record itself", async () => {
    const answer = await search(server.url, { similar_to: QUERY, k: 5 });
    expect(answer).toMatchObject({ mode: "similar", model: "tiny-clip", k: 5, total: 5 });
    expect(answer.items.map((i) => i.id).slice(0, 2)).toEqual([QUERY, DUPLICATE]);
    const d = answer.items.map((i) => i._distance);
    expect([...d].sort((a, b) => a - b)).toEqual(d);
    expect(d[1]).toBeLessThan(0.01);
    expect(d[2]).toBeGreaterThan(10 * (d[1] ?? 0));
    expect(answer.items[0]?.view_previews?.image?.id).toBe(`img-${QUERY}`);
  });

  it("text search ranks the record of the named colour first", async () => {
    for (const colour of ["red", "blue", "green", "yellow"]) {
      const answer = await search(server.url, { text: `a ${colour} picture`, k: 3 });
      expect(answer.mode).toBe("text");
      expect(answer.items[0]?.id, colour).toBe(`r-${colour}`);
    }
    expect(Object.keys(PURE)).toHaveLength(4);
  });

  it("the explorer's filters restrict the search (Pixano's record-id prefilter)", async () => {
    const answer = await search(server.url, { text: "red", k: 3, filter: ["id:in:r-blue,r-green"] });
    expect(answer.items.map((i) => i.id).sort()).toEqual(["r-blue", "r-green"]);
  });

  it("bad searches get Pixano's actionable 4xx: no query, unknown record, another model without force", async () => {
    const base = `${server.url}/datasets/${SEARCH_DS}`;
    expect((await postJson(`${base}/records/search`, {})).body).toEqual({
      detail: "Provide either 'text' or 'similar_to'.",
    });
    const missing = await postJson(`${base}/records/search`, { similar_to: "nope" });
    expect(missing).toMatchObject({ status: 404, body: { detail: "Record 'nope' has no embedding." } });
    const other = await postJson(`${base}/embeddings/compute`, { model: "tiny-sam" });
    expect(other.status).toBe(404);
    // The server still answers a good search after the refusals.
    expect((await search(server.url, { similar_to: QUERY, k: 1 })).items[0]?.id).toBe(QUERY);
  });

  it.skipIf(!existsSync(PYTHON))(
    "Pixano 0.8.0 reads the embeddings Tessera wrote: healthy, and its search_records ranks the duplicate next",
    () => {
      const script = [
        "import sys, json",
        "from pixano.datasets import Dataset",
        "ds = Dataset(__import__('pathlib').Path(sys.argv[1]))",
        "h = ds.record_embedding_health()",
        "rows = ds.get_data('embeddings', where=\"record_id = 'r-query'\", limit=1)",
        "recs, dists = ds.search_records(list(rows[0].vector), k=2)",
        "print(json.dumps({'status': h['status'], 'rows': h['rows'], 'model': h['model_id'], 'ids': [r.id for r in recs]}))",
      ].join("\n");
      const out = execFileSync(PYTHON, ["-c", script, path.join(built.dataDir, "library", "search_ds")], {
        encoding: "utf8",
      });
      const got = JSON.parse(out.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
      expect(got).toEqual({
        status: "ready",
        rows: built.recordIds.length,
        model: "tiny-clip",
        ids: [QUERY, DUPLICATE],
      });
    },
  );
});

describe("embedding job cancel and resume", () => {
  let built: SearchDataDir;
  let server: ServerProcess;

  beforeAll(async () => {
    built = await buildSearchDataDir(34);
    // Each image batch waits 150 ms in the worker: the job runs long enough to be cancelled mid-way.
    server = await spawnServer(built.dataDir, { TESSERA_TEST_INFERENCE_DELAY_MS: "150" });
  });
  afterAll(async () => {
    await server?.stop();
    await built?.cleanup();
  });

  it("reports progress, stops on cancel keeping what it wrote, and a new compute resumes without duplicates", async () => {
    const base = `${server.url}/datasets/${SEARCH_DS}`;
    const n = built.recordIds.length;
    const start = await postJson(`${base}/embeddings/compute`, { model: "tiny-clip" });
    const { job_id } = start.body as { job_id: string };
    const running = await waitFor(
      async () => {
        const j = await getJson<Job>(`${server.url}/io/jobs/${job_id}`);
        return j.status === "running" && j.progress.done > 0 ? j : null;
      },
      "first progress",
      30_000,
    );
    expect(running.progress.total).toBe(n);
    expect((await postJson(`${base}/embeddings/compute`, { model: "tiny-clip" })).status).toBe(409);
    const cancel = await postJson(`${server.url}/io/jobs/${job_id}/cancel`, {});
    expect(cancel.status).toBe(200);
    const cancelled = await finished(server.url, job_id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.progress.done).toBeLessThan(n);
    const kept = cancelled.progress.table_counts.embeddings ?? 0;
    expect(kept).toBe(cancelled.progress.done);
    const filters = await getJson<{ search: Record<string, unknown> }>(`${base}/filters`);
    expect(filters.search).toMatchObject({ status: "partial", embedded_rows: kept, modes: ["text", "semantic"] });
    expect((await postJson(`${server.url}/io/jobs/${job_id}/cancel`, {})).status).toBe(409);

    const again = await postJson(`${base}/embeddings/compute`, { model: "tiny-clip" });
    const resumed = await finished(server.url, (again.body as { job_id: string }).job_id);
    expect(resumed).toMatchObject({ status: "done", progress: { done: n, total: n, table_counts: { embeddings: n } } });
    const after = await getJson<{ search: Record<string, unknown> }>(`${base}/filters`);
    expect(after.search).toMatchObject({ status: "ready", embedded_rows: n });
  });
});
