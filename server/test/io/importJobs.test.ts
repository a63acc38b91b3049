import { readFileSync } from "node:fs";
import { cp, mkdir, readdir, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { spawnServer, type ServerProcess } from "../integration/support.js";
import { FIXTURE_SOURCES, makeV2Source, pollJob, postJson, tempRoot, type JobJson } from "./support.js";

/**
 * Pixano 0.8's `/io/*` on a real server process: analyze (dry run → ImportPlan), import jobs run
 * in their own process, cancel, export and its zip download; sources read only inside the
 * import root. Shapes are compared with the ones captured from Pixano's own models.
 */

/** Pixano 0.8's shapes, captured from its pydantic models (`fixtures/capture_pixano_io_shapes.py`). */
const shapes = JSON.parse(readFileSync(new URL("./fixtures/pixano-io-shapes.json", import.meta.url), "utf8")) as {
  formats: { name: string; title: string; capabilities: object }[];
} & Record<"JobResponse" | "ImportPlan" | "PlanTotals" | "Finding" | "Provenance" | "ProgressEvent", string[]>;

let env: Awaited<ReturnType<typeof tempRoot>>;
let server: ServerProcess;
let base: string;

beforeAll(async () => {
  env = await tempRoot();
  await cp(path.join(FIXTURE_SOURCES, "image_det"), path.join(env.imports, "image_det"), { recursive: true });
  await makeV2Source(path.join(env.imports, "big"), "big_import", 5000);
  server = await spawnServer(env.dataDir);
  base = server.url;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await env?.cleanup();
});

function keys(o: unknown): string[] {
  return Object.keys(o as object).sort();
}

async function datasetNames(): Promise<string[]> {
  const r = await fetch(`${base}/datasets`);
  const list = (await r.json()) as { name: string }[];
  return list.map((d) => d.name);
}

describe("/io/* shapes are Pixano 0.8's", () => {
  it("GET /io/formats lists Pixano's fields for every format, pixano_jsonl importable and exportable", async () => {
    const r = await fetch(`${base}/io/formats`);
    expect(r.status).toBe(200);
    const formats = (await r.json()) as Record<string, unknown>[];
    const pixano = shapes.formats[0];
    for (const f of formats) {
      expect(keys(f)).toEqual(keys(pixano));
      expect(keys(f.capabilities)).toEqual(keys(pixano?.capabilities));
    }
    const jsonl = formats.find((f) => f.name === "pixano_jsonl");
    expect(jsonl).toMatchObject({ title: pixano?.title, can_import: true, can_export: true });
  });

  it("POST /io/analyze answers an ImportPlan with Pixano's fields, counts and a plan_id", async () => {
    const { status, json } = await postJson(`${base}/io/analyze`, { source: "image_det", spec: {} });
    expect(status).toBe(200);
    const plan = json as Record<string, unknown> & { totals: object; report: { findings: object }; splits: object };
    for (const k of shapes.ImportPlan) expect(plan, k).toHaveProperty(k);
    expect(keys(plan.totals)).toEqual([...shapes.PlanTotals].sort());
    expect(plan.format).toBe("pixano_jsonl");
    expect(plan.totals).toMatchObject({ records: 6 });
    expect(plan.splits).toEqual({ train: 4, val: 2 });
    expect(typeof plan.plan_id).toBe("string");
    expect((plan.plan_id as string).length).toBeGreaterThan(0);
    expect(plan.table_counts).toMatchObject({ records: 6 });
    // Nothing was written.
    expect(await datasetNames()).not.toContain("image_det");
  });

  it("a source the importer refuses is a plan with an error finding shaped like Pixano's", async () => {
    await mkdir(path.join(env.imports, "broken", "train"), { recursive: true });
    await writeFile(
      path.join(env.imports, "broken", "train", "metadata.jsonl"),
      '{"views": {"image": "missing.png"}}\n',
    );
    const { status, json } = await postJson(`${base}/io/analyze`, { source: "broken" });
    expect(status).toBe(200);
    const findings = (json as { report: { findings: Record<string, Record<string, unknown>> } }).report.findings;
    const all = Object.values(findings);
    expect(all.length).toBe(1);
    const f = all[0] ?? {};
    for (const k of shapes.Finding) expect(f, k).toHaveProperty(k);
    expect(f.severity).toBe("error");
    const sample = (f.samples as object[])[0];
    expect(keys(sample)).toEqual([...shapes.Provenance].sort());
  });

  it("resume and DELETE of a job answer 501 with a detail", async () => {
    const a = await fetch(`${base}/io/jobs/whatever/resume`, { method: "POST" });
    expect(a.status).toBe(501);
    expect(((await a.json()) as { detail: string }).detail).toMatch(/not implemented/);
    const b = await fetch(`${base}/io/jobs/whatever`, { method: "DELETE" });
    expect(b.status).toBe(501);
  });

  it("user Python options are refused (400) and unknown formats are 422, as Pixano's REST API does", async () => {
    expect((await postJson(`${base}/io/analyze`, { source: "image_det", spec: { importer: "x.py" } })).status).toBe(
      400,
    );
    expect((await postJson(`${base}/io/analyze`, { source: "image_det", spec: { format: "lerobot" } })).status).toBe(
      422,
    );
    expect((await postJson(`${base}/io/imports`, {})).status).toBe(422);
    expect((await postJson(`${base}/io/imports`, { plan_id: "nope" })).status).toBe(409);
  });
});

describe("sources are read only inside the import root", () => {
  it("refuses '..', absolute paths, and symlinks leading out (403), and a missing source (404)", async () => {
    await mkdir(path.join(env.root, "outside", "train"), { recursive: true });
    await writeFile(path.join(env.root, "outside", "train", "metadata.jsonl"), "{}\n");
    await symlink(path.join(env.root, "outside"), path.join(env.imports, "link_out"));
    await mkdir(path.join(env.imports, "sneaky", "train"), { recursive: true });
    await symlink("/etc/passwd", path.join(env.imports, "sneaky", "train", "img.png"));
    for (const source of [
      "../outside",
      "/etc",
      path.join(env.root, "outside"),
      "link_out",
      "sneaky",
      "image_det/../../outside",
    ]) {
      const { status, json } = await postJson(`${base}/io/analyze`, { source });
      expect(status, source).toBe(403);
      expect((json as { detail: string }).detail).toMatch(/import root/);
      expect((await postJson(`${base}/io/imports`, { source })).status, source).toBe(403);
    }
    expect((await postJson(`${base}/io/analyze`, { source: "nope" })).status).toBe(404);
  });
});

describe("import jobs", () => {
  it("imports from a plan in a job with Pixano's JobResponse and progress; the dataset is then listed", async () => {
    const { json: plan } = await postJson(`${base}/io/analyze`, { source: "image_det" });
    const { status, json } = await postJson(`${base}/io/imports`, {
      plan_id: (plan as { plan_id: string }).plan_id,
      spec: { dataset: { name: "Det from IO" } },
    });
    expect(status).toBe(202);
    expect(keys(json)).toEqual([...shapes.JobResponse].sort());
    const job = json as JobJson;
    expect(job.kind).toBe("import");
    const done = await pollJob(base, job.job_id, (j) => j.status !== "pending" && j.status !== "running");
    expect(done.status, JSON.stringify(done.error)).toBe("done");
    expect(keys(done.progress)).toEqual([...shapes.ProgressEvent].sort());
    expect(done.progress.table_counts).toMatchObject({ records: 6 });
    expect(done.updated_at).toBeGreaterThanOrEqual(done.created_at);
    expect(await datasetNames()).toContain("Det from IO");
    const list = (await (await fetch(`${base}/io/jobs`)).json()) as JobJson[];
    expect(list[0]?.job_id).toBe(job.job_id);
  });

  it("cancelling a running create import kills it and leaves no dataset, not even a staging folder", async () => {
    const { json } = await postJson(`${base}/io/imports`, { source: "big" });
    const job = json as JobJson;
    const seen = await pollJob(
      base,
      job.job_id,
      (j) =>
        (j.status === "running" && (j.progress.done ?? 0) > 0) || (j.status !== "pending" && j.status !== "running"),
    );
    expect(seen.status, `the import was still running when cancelled: ${JSON.stringify(seen)}`).toBe("running");
    const r = await fetch(`${base}/io/jobs/${job.job_id}/cancel`, { method: "POST" });
    expect(r.status).toBe(200);
    const cancelled = (await r.json()) as JobJson;
    expect(cancelled.status).toBe("cancelled");
    expect(await datasetNames()).not.toContain("big_import");
    const library = await readdir(path.join(env.dataDir, "library"));
    expect(library).not.toContain("big_import");
    const staging = path.join(env.dataDir, ".tessera", "staging");
    const left = await readdir(staging).catch(() => []);
    expect(left).not.toContain(job.job_id);
    // A second cancel: the job already ended.
    expect((await fetch(`${base}/io/jobs/${job.job_id}/cancel`, { method: "POST" })).status).toBe(409);
    expect((await fetch(`${base}/io/jobs/nope/cancel`, { method: "POST" })).status).toBe(404);
  }, 120_000);

  it("refuses a 17th waiting job with 429 instead of queueing without end; cancelled pending jobs never run", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 17; i++) {
      const { status, json } = await postJson(`${base}/io/imports`, { source: "big" });
      expect(status, JSON.stringify(json)).toBe(202);
      ids.push((json as JobJson).job_id);
    }
    const refused = await postJson(`${base}/io/imports`, { source: "big" });
    expect(refused.status).toBe(429);
    expect((refused.json as { detail: string }).detail).toMatch(/waiting/);
    for (const id of ids.reverse()) {
      const r = await fetch(`${base}/io/jobs/${id}/cancel`, { method: "POST" });
      expect([200, 409]).toContain(r.status);
    }
    for (const id of ids)
      expect((await pollJob(base, id, (j) => j.status !== "pending" && j.status !== "running")).status).toBe(
        "cancelled",
      );
    expect(await datasetNames()).not.toContain("big_import");
  }, 120_000);

  it("exports a dataset in a job and downloads it as a zip holding the JSONL and the media", async () => {
    const { status, json } = await postJson(`${base}/io/exports`, {
      dataset: "Det from IO",
      destination: "det-export",
    });
    expect(status).toBe(202);
    const done = await pollJob(base, (json as JobJson).job_id, (j) => j.status !== "pending" && j.status !== "running");
    expect(done.status, JSON.stringify(done.error)).toBe("done");
    expect((await stat(path.join(env.dataDir, "exports", "det-export"))).isDirectory()).toBe(true);
    const r = await fetch(`${base}/io/jobs/${done.job_id}/download`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/zip");
    const zip = Buffer.from(await r.arrayBuffer());
    const names = await new Promise<string[]>((resolve, reject) => {
      yauzl.fromBuffer(zip, { lazyEntries: true }, (err, z) => {
        if (err) return reject(err);
        const out: string[] = [];
        z.on("entry", (e: yauzl.Entry) => {
          out.push(e.fileName);
          z.readEntry();
        });
        z.on("end", () => resolve(out));
        z.on("error", reject);
        z.readEntry();
      });
    });
    expect(names.some((n) => n.endsWith("metadata.jsonl"))).toBe(true);
    expect(names.some((n) => /\.(png|jpg)$/.test(n))).toBe(true);
    expect((await postJson(`${base}/io/exports`, { dataset: "Det from IO", destination: "../out" })).status).toBe(422);
    expect((await postJson(`${base}/io/exports`, { dataset: "nope", destination: "x" })).status).toBe(404);
  });
});
