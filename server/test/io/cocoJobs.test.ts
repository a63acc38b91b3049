import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../integration/support.js";
import { runTessera } from "../support/cli.js";
import { buildZip, multipart, pollJob, postJson, tempRoot, type JobJson } from "./support.js";

/**
 * COCO through the server and the CLI: `/io/formats` offers it (Pixano's fields, importable and
 * exportable), a zip of a COCO source uploaded as the browser does is analyzed and imported in a
 * job, the dataset is exported back to COCO in a job, and `tessera data import|export --format
 * coco` do the same from the command line. Bad format names get a 422 with a detail.
 */
const COCO_SOURCE = fileURLToPath(new URL("../../../fixtures/pixano-built/coco/source/", import.meta.url));
const shapes = JSON.parse(readFileSync(new URL("./fixtures/pixano-io-shapes.json", import.meta.url), "utf8")) as {
  formats: { name: string; title: string; can_import: boolean; can_export: boolean; capabilities: object }[];
};

let env: Awaited<ReturnType<typeof tempRoot>>;
let server: ServerProcess;
let base: string;

beforeAll(async () => {
  env = await tempRoot();
  server = await spawnServer(env.dataDir);
  base = server.url;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await env?.cleanup();
});

async function listFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else out.push(r);
  }
  return out.sort();
}

async function cocoZip(prefix: string): Promise<Buffer> {
  const entries = [];
  for (const rel of await listFiles(COCO_SOURCE))
    entries.push({ name: `${prefix}${rel}`, data: await readFile(path.join(COCO_SOURCE, rel)) });
  return buildZip(entries);
}

describe("COCO on the server", () => {
  it("GET /io/formats offers coco, importable and exportable, with Pixano's fields and title", async () => {
    const formats = (await (await fetch(`${base}/io/formats`)).json()) as Record<string, unknown>[];
    const coco = formats.find((f) => f.name === "coco");
    const pixano = shapes.formats.find((f) => f.name === "coco")!;
    expect(coco).toBeDefined();
    expect(Object.keys(coco!).sort()).toEqual(Object.keys(pixano).sort());
    expect(Object.keys(coco!.capabilities as object).sort()).toEqual(Object.keys(pixano.capabilities).sort());
    expect(coco).toMatchObject({ title: pixano.title, can_import: true, can_export: true });
    expect((coco!.capabilities as { annotation_kinds: string[] }).annotation_kinds).toEqual(
      (pixano.capabilities as { annotation_kinds: string[] }).annotation_kinds,
    );
  });

  it("imports an uploaded COCO zip in a job (detected), then exports it to COCO and serves the zip", async () => {
    const { body, contentType } = multipart([{ name: "coco.zip", data: await cocoZip("coco_upload/") }]);
    const up = await fetch(`${base}/io/uploads/archive`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    const upload = (await up.json()) as { source?: string; detail?: string };
    expect(up.status, upload.detail).toBe(201);

    const { status: ps, json: plan } = await postJson(`${base}/io/analyze`, { source: upload.source, spec: {} });
    expect(ps).toBe(200);
    expect(plan).toMatchObject({ format: "coco", splits: { train: 2, val: 1 }, totals: { records: 3 } });

    const { status, json } = await postJson(`${base}/io/imports`, {
      plan_id: (plan as { plan_id: string }).plan_id,
      spec: { dataset: { name: "Coco upload" } },
    });
    expect(status).toBe(202);
    const done = await pollJob(base, (json as JobJson).job_id, (j) => j.status !== "pending" && j.status !== "running");
    expect(done.status, JSON.stringify(done.error)).toBe("done");
    expect(done.progress.table_counts).toMatchObject({ records: 3, entities: 5, bboxes: 5, masks: 3, keypoints: 1 });

    const ex = await postJson(`${base}/io/exports`, {
      dataset: "Coco upload",
      destination: "coco-out",
      format: "coco",
    });
    expect(ex.status).toBe(202);
    const exported = await pollJob(
      base,
      (ex.json as JobJson).job_id,
      (j) => j.status !== "pending" && j.status !== "running",
    );
    expect(exported.status, JSON.stringify(exported.error)).toBe("done");
    const out = path.join(env.dataDir, "exports", "coco-out");
    expect((await listFiles(out)).filter((f) => f.endsWith(".json"))).toEqual([
      "instances_train.json",
      "instances_val.json",
    ]);
    const train = JSON.parse(await readFile(path.join(out, "instances_train.json"), "utf8")) as {
      images: unknown[];
      annotations: { bbox?: number[] }[];
      categories: { name: string }[];
    };
    expect(train.images).toHaveLength(2);
    expect(train.annotations).toHaveLength(4);
    expect(train.categories.map((c) => c.name)).toEqual(["car", "dog", "person"]);
    const zip = await fetch(`${base}/io/jobs/${exported.job_id}/download`);
    expect(zip.status).toBe(200);
    expect(zip.headers.get("content-type")).toBe("application/zip");
  });

  it("refuses an unknown export format with 422 and a detail naming the supported ones", async () => {
    const r = await postJson(`${base}/io/exports`, { dataset: "Coco upload", destination: "x", format: "yolo" });
    expect(r.status).toBe(422);
    expect((r.json as { detail: string }).detail).toBe(
      "export format 'yolo' is not supported on Tessera (pixano_jsonl, coco)",
    );
  });

  it("a COCO source with an undeclared category is an analyze plan with an error naming the file and index", async () => {
    const { body, contentType } = multipart([
      {
        name: "bad.zip",
        data: buildZip([
          {
            name: "bad_coco/instances_train.json",
            data: Buffer.from(
              JSON.stringify({ images: [], annotations: [{ id: 1, image_id: 1, category_id: 4 }], categories: [] }),
            ),
          },
        ]),
      },
    ]);
    const up = await fetch(`${base}/io/uploads/archive`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    const upload = (await up.json()) as { source?: string };
    const { status, json } = await postJson(`${base}/io/analyze`, { source: upload.source, spec: { format: "coco" } });
    expect(status).toBe(200);
    expect(JSON.stringify(json)).toContain("instances_train.json");
    expect(JSON.stringify(json)).toContain("/annotations/0/category_id");
    // The server still serves.
    expect((await fetch(`${base}/io/formats`)).status).toBe(200);
  });
});

describe("COCO media mode over /io", () => {
  it("spec.media.mode uri is passed to the COCO reader (coco_url needed); another mode is a 422", async () => {
    const { body, contentType } = multipart([{ name: "coco.zip", data: await cocoZip("coco_uri/") }]);
    const up = await fetch(`${base}/io/uploads/archive`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    const upload = (await up.json()) as { source?: string };
    const { status, json } = await postJson(`${base}/io/analyze`, {
      source: upload.source,
      spec: { media: { mode: "uri" } },
    });
    expect(status).toBe(200);
    expect(JSON.stringify(json)).toContain("media mode 'uri' needs a coco_url per image");
    const bad = await postJson(`${base}/io/analyze`, { source: upload.source, spec: { media: { mode: "copy" } } });
    expect(bad.status).toBe(422);
    expect((bad.json as { detail: string }).detail).toBe("spec.media.mode must be embed or uri");
  });
});

describe("COCO from the CLI", () => {
  it("tessera data import --format coco then data export --format coco", async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "tessera-coco-cli-"));
    try {
      const dataDir = path.join(tmp, "data");
      const imp = await runTessera(["data", "import", dataDir, COCO_SOURCE, "--format", "coco", "--name", "cli coco"]);
      expect(imp.code, imp.stderr).toBe(0);
      const dest = path.join(tmp, "out");
      const exp = await runTessera(["data", "export", dataDir, "cli coco", dest, "--format", "coco"]);
      expect(exp.code, exp.stderr).toBe(0);
      expect(exp.stdout).toMatch(/exported \(3 records, 3 media files\) .* as coco/);
      expect(await listFiles(dest)).toContain("instances_val.json");
      const bad = await runTessera(["data", "export", dataDir, "cli coco", path.join(tmp, "o2"), "--format", "yolo"]);
      expect(bad.code).toBe(2);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
