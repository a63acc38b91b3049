import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../integration/support.js";
import { buildZip, FIXTURE_SOURCES, multipart, pollJob, postJson, tempRoot, type JobJson } from "./support.js";

/**
 * Browser uploads on a real server process with small limits (8 MB, 20 files a session): Pixano's
 * upload sessions (PUT one file at a time), zips and folders in one multipart request. Hostile
 * paths, symlinks and zip bombs are refused with a `{"detail"}` and leave nothing behind.
 */

const MAX_BYTES = 8 * 1024 * 1024;
let env: Awaited<ReturnType<typeof tempRoot>>;
let server: ServerProcess;
let base: string;

beforeAll(async () => {
  env = await tempRoot();
  server = await spawnServer(env.dataDir, {
    TESSERA_UPLOAD_MAX_BYTES: String(MAX_BYTES),
    TESSERA_UPLOAD_MAX_FILES: "20",
  });
  base = server.url;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await env?.cleanup();
});

const uploadsDir = () => path.join(env.imports, "uploads");

async function sessionsOnDisk(): Promise<string[]> {
  return (await readdir(uploadsDir()).catch(() => [])).filter((n) => !n.startsWith("."));
}

async function sendZip(
  zip: Buffer,
): Promise<{ status: number; json: { detail?: string; source?: string; upload_id?: string; files?: number } }> {
  const { body, contentType } = multipart([{ name: "data.zip", data: zip }]);
  const r = await fetch(`${base}/io/uploads/archive`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
  return { status: r.status, json: (await r.json()) as { detail?: string } };
}

const detDir = path.join(FIXTURE_SOURCES, "image_det");
async function detEntries(prefix: string): Promise<{ name: string; data: Buffer }[]> {
  const out: { name: string; data: Buffer }[] = [];
  for (const rel of ["dataset.yaml", "train/metadata.jsonl", "val/metadata.jsonl"])
    out.push({ name: `${prefix}${rel}`, data: await readFile(path.join(detDir, rel)) });
  for (const split of ["train", "val"])
    for (const f of await readdir(path.join(detDir, split)))
      if (f !== "metadata.jsonl")
        out.push({ name: `${prefix}${split}/${f}`, data: await readFile(path.join(detDir, split, f)) });
  return out;
}

describe("Pixano's upload sessions", () => {
  it("stream files into a session that analyze and import then read; the session is removed after the import", async () => {
    const created = await fetch(`${base}/io/uploads`, { method: "POST" });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { upload_id: string; source: string };
    expect(Object.keys(session).sort()).toEqual(["source", "upload_id"]);
    for (const e of await detEntries("")) {
      const r = await fetch(`${base}/io/uploads/${session.upload_id}/files/${e.name}`, { method: "PUT", body: e.data });
      expect(r.status, e.name).toBe(200);
    }
    const { status, json: plan } = await postJson(`${base}/io/analyze`, { source: session.source, spec: {} });
    expect(status).toBe(200);
    expect((plan as { totals: { records: number } }).totals.records).toBe(6);
    // The session folder's name is opaque: Pixano refuses an import without a dataset name.
    expect((await postJson(`${base}/io/imports`, { source: session.source })).status).toBe(422);
    const { json } = await postJson(`${base}/io/imports`, {
      plan_id: (plan as { plan_id: string }).plan_id,
      source: session.source,
      spec: { dataset: { name: "uploaded det" } },
    });
    const done = await pollJob(base, (json as JobJson).job_id, (j) => j.status !== "pending" && j.status !== "running");
    expect(done.status, JSON.stringify(done.error)).toBe("done");
    expect(await sessionsOnDisk()).not.toContain(session.upload_id);
  });

  it("refuses traversal in a file path (400) and writes nothing outside the session", async () => {
    const session = (await (await fetch(`${base}/io/uploads`, { method: "POST" })).json()) as { upload_id: string };
    for (const rel of ["..%2F..%2Fescape.txt", "a/%2E%2E/%2E%2E/escape.txt", "a%5Cb.txt", "%2Fetc%2Fx"]) {
      const r = await fetch(`${base}/io/uploads/${session.upload_id}/files/${rel}`, { method: "PUT", body: "x" });
      expect([400, 404], rel).toContain(r.status);
      expect(((await r.json()) as { detail: string }).detail.length).toBeGreaterThan(0);
    }
    expect(await readdir(env.imports)).not.toContain("escape.txt");
    expect(await readdir(path.join(uploadsDir(), session.upload_id))).toEqual([]);
    expect((await fetch(`${base}/io/uploads/${session.upload_id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${base}/io/uploads/${session.upload_id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses a file past the session's byte limit (413) and keeps the server serving", async () => {
    const session = (await (await fetch(`${base}/io/uploads`, { method: "POST" })).json()) as { upload_id: string };
    const r = await fetch(`${base}/io/uploads/${session.upload_id}/files/big.bin`, {
      method: "PUT",
      body: Buffer.alloc(MAX_BYTES + 1024),
    });
    expect(r.status).toBe(413);
    expect(await readdir(path.join(uploadsDir(), session.upload_id))).toEqual([]);
    expect((await fetch(`${base}/io/formats`)).status).toBe(200);
  });
});

describe("zip and folder uploads", () => {
  it("extracts a zip into a new session whose source is its single top folder, ready to analyze", async () => {
    const { status, json } = await sendZip(buildZip(await detEntries("image_det/")));
    expect(status, json.detail).toBe(201);
    expect(path.basename(json.source ?? "")).toBe("image_det");
    expect(json.files).toBe(9);
    const { json: plan } = await postJson(`${base}/io/analyze`, { source: json.source });
    expect((plan as { totals: { records: number } }).totals.records).toBe(6);
  });

  it("uploads a folder (webkitdirectory relative paths) into a new session", async () => {
    const { body, contentType } = multipart(await detEntries("picked/"));
    const r = await fetch(`${base}/io/uploads/folder`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    const json = (await r.json()) as { source: string; files: number; detail?: string };
    expect(r.status, json.detail).toBe(201);
    expect(path.basename(json.source)).toBe("picked");
    expect(json.files).toBe(9);
  });

  const hostile: [string, () => Buffer, number, RegExp][] = [
    [
      "zip-slip (../ in an entry name)",
      () =>
        buildZip([
          { name: "ok.txt", data: Buffer.from("x") },
          { name: "../../evil.txt", data: Buffer.from("x") },
        ]),
      400,
      /upload path/,
    ],
    ["an absolute entry name", () => buildZip([{ name: "/tmp/evil.txt", data: Buffer.from("x") }]), 400, /upload path/],
    [
      "a symbolic link entry",
      () => buildZip([{ name: "link", data: Buffer.from("/etc/passwd"), mode: 0o120777 }]),
      422,
      /symbolic link/,
    ],
    [
      "a zip bomb (1000× ratio)",
      () => buildZip([{ name: "zeros.bin", data: Buffer.alloc(6 * 1024 * 1024) }]),
      413,
      /zip bomb/,
    ],
    [
      "an entry lying about its size",
      () => buildZip([{ name: "lie.bin", data: Buffer.alloc(200_000, 7), declaredSize: 10 }]),
      422,
      /corrupt|size/,
    ],
    [
      "more uncompressed bytes than the limit",
      () =>
        buildZip(
          [0, 1].map((i) => ({
            name: `f${i}.bin`,
            data: Buffer.from(Array.from({ length: MAX_BYTES / 2 + 10 }, (_, j) => (j * 7 + i) % 251)),
          })),
        ),
      413,
      /limit/,
    ],
    [
      "more entries than the limit",
      () => buildZip(Array.from({ length: 21 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from("x") }))),
      413,
      /entries/,
    ],
    ["not a zip", () => Buffer.from("PK not really a zip"), 422, /zip/],
  ];
  for (const [what, make, status, detail] of hostile) {
    it(`refuses ${what} with ${status}, leaving no session and nothing outside`, async () => {
      const before = await sessionsOnDisk();
      const r = await sendZip(make());
      expect(r.status, r.json.detail).toBe(status);
      expect(r.json.detail).toMatch(detail);
      expect(await sessionsOnDisk()).toEqual(before);
      expect(await readdir(env.imports)).not.toContain("evil.txt");
      expect(await readdir(env.root)).not.toContain("evil.txt");
    });
  }

  it("refuses a folder upload with a '..' path and a non-multipart body", async () => {
    const { body, contentType } = multipart([{ name: "a/../../evil.txt", data: Buffer.from("x") }]);
    const r = await fetch(`${base}/io/uploads/folder`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    expect(r.status).toBe(400);
    const r2 = await fetch(`${base}/io/uploads/folder`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(r2.status).toBe(415);
  });
});
