import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";
import { waitFor } from "../sync/support/harness.js";

export { waitFor };

export const FIXTURE_SOURCES = fileURLToPath(new URL("../../../fixtures/pixano-built/sources/", import.meta.url));
const IMAGE = path.join(FIXTURE_SOURCES, "image_det", "train", "img_a.png");

/** A temp root with an empty `data/` DATA_DIR (its import root is `data/imports`). */
export async function tempRoot(): Promise<{
  root: string;
  dataDir: string;
  imports: string;
  cleanup(): Promise<void>;
}> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-io-"));
  const dataDir = path.join(root, "data");
  const imports = path.join(dataDir, "imports");
  await mkdir(imports, { recursive: true });
  return { root, dataDir, imports, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A Pixano JSONL v2 source of `n` image records (one small PNG each) named `name`, in `dir`. */
export async function makeV2Source(dir: string, name: string, n: number): Promise<void> {
  const split = path.join(dir, "train");
  await mkdir(split, { recursive: true });
  await writeFile(
    path.join(dir, "dataset.yaml"),
    `pixano: 2\ndataset:\n  name: ${name}\n  workspace: image\nformat: pixano_jsonl\nschema:\n  views:\n    image: image\n  record:\n    attrs:\n      n: int\n  entity:\n    attrs:\n      category: str\n  annotations: [bbox]\n`,
  );
  const lines = ['{"$pixano": "jsonl/2", "defaults": {"bbox": {"format": "xywh", "is_normalized": true}}}'];
  // The images are copied 64 at a time: thousands of them one by one cost seconds of waiting.
  for (let from = 0; from < n; from += 64) {
    const batch = Array.from({ length: Math.min(64, n - from) }, (_, k) => from + k);
    await Promise.all(batch.map((i) => copyFile(IMAGE, path.join(split, `img_${i}.png`))));
  }
  for (let i = 0; i < n; i++) {
    const img = `img_${i}.png`;
    lines.push(
      JSON.stringify({
        id: `r${i}`,
        split: "train",
        attrs: { n: i },
        views: { image: img },
        entities: [{ attrs: { category: "box" }, annotations: [{ kind: "bbox", coords: [0.1, 0.1, 0.2, 0.2] }] }],
      }),
    );
  }
  await writeFile(path.join(split, "metadata.jsonl"), `${lines.join("\n")}\n`);
}

export interface ZipEntrySpec {
  readonly name: string;
  readonly data?: Buffer;
  /** Unix mode bits stored in the external attributes (e.g. 0o120777 for a symlink). */
  readonly mode?: number;
  /** Lie about the uncompressed size in the headers. */
  readonly declaredSize?: number;
}

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip built byte by byte (deflated entries), so tests can put hostile names, modes and sizes in it. */
export function buildZip(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const data = e.data ?? Buffer.alloc(0);
    const comp = deflateRawSync(data);
    const size = e.declaredSize ?? data.length;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, comp);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(0x0314, 4); // made by Unix
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(comp.length, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    centrals.push(cd, name);
    offset += 30 + name.length + comp.length;
  }
  const cdBuf = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBuf, end]);
}

/** A multipart/form-data body with file parts (filename = relative path). */
export function multipart(files: readonly { name: string; data: Buffer }[]): { body: Buffer; contentType: string } {
  const boundary = `----tessera${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      f.data,
      Buffer.from("\r\n"),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface JobJson {
  job_id: string;
  kind: string;
  dataset: string;
  status: string;
  progress: {
    phase?: string;
    done?: number;
    total?: number | null;
    table_counts?: Record<string, number>;
    message?: string;
  };
  error: { type?: string; message?: string };
  created_at: number;
  updated_at: number;
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as unknown };
}

/** How often {@link pollJob} asks: often enough to see a phase of a second, rarely enough not to load the server. */
const POLL_JOB_MS = 20;

/** Polls a job until `done(job)` (deadline 60 s). */
export async function pollJob(base: string, id: string, done: (j: JobJson) => boolean): Promise<JobJson> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${base}/io/jobs/${id}`);
    const job = (await r.json()) as JobJson;
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`timed out waiting for job ${id}: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_JOB_MS));
  }
}
