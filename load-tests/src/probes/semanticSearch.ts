import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { deflateSync } from "node:zlib";
import { Library } from "@tessera/dataset";
import { nowMs } from "../clock.js";
import { Rng } from "../rng.js";
import { startTessera } from "../servers/tessera.js";

/**
 * Semantic search on N records (`npx tsx src/probes/semanticSearch.ts [records] [queries]`, from
 * load-tests): N image records (160 × 120 PNG, two random colours each; one planted near-duplicate)
 * written through `@tessera/dataset`, the tiny CLIP pair of `scripts/tiny-clip.mjs` registered,
 * served by the real server (CLI, compiled, auth off). Measures the embeddings job (`POST
 * /embeddings/compute` → `GET /io/jobs/{id}` until done: wall time per image, decode + resize +
 * encoder + Lance write), then `POST /records/search` by text and by `similar_to` (k = 50), with a
 * plain listing page (`GET /records?limit=50`) in the same run as the baseline. Prints one JSON object.
 */
const RECORDS = Number(process.argv[2] ?? 1000);
const QUERIES = Number(process.argv[3] ?? 40);
const DATASET = "bench_search";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** An 8-bit RGB PNG of raw interleaved pixels. */
function png(raw: Buffer, w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) raw.copy(rows, y * (w * 3 + 1) + 1, y * w * 3, (y + 1) * w * 3);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

function pct(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN) * 100) / 100;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1), n: s.length };
}

const root = await mkdtemp(path.join(os.tmpdir(), "tessera-bench-search-"));
const dataDir = path.join(root, "data");
const media = path.join(dataDir, "media");
await mkdir(media, { recursive: true });
const rng = new Rng(0x5ea4c4);
const colour = () => [0, 1, 2].map(() => Math.floor(rng.next() * 256));
const library = new Library(dataDir);
await library.init();
const ds = await library.create(DATASET, {
  id: DATASET,
  name: DATASET,
  description: "",
  size: "Unknown",
  preview: "",
  workspace: "image",
  storage_mode: "mixed",
  record: { base: "Record", fields: {} },
  entity: { base: "Entity", fields: {} },
  bbox: { base: "BBox", fields: {} },
  views: { image: { base: "Image", fields: {} } },
});
const W = 160;
const H = 120;
const ids: string[] = [];
let planted: [number[], number[]] = [
  [0, 0, 0],
  [0, 0, 0],
];
for (let i = 0; i < RECORDS; i++) {
  const [l, r] = i === RECORDS - 1 ? planted : [colour(), colour()];
  if (i === 0) planted = [l, r];
  const raw = Buffer.alloc(W * H * 3);
  for (let p = 0; p < W * H; p++)
    for (let c = 0; c < 3; c++) raw[p * 3 + c] = ((p % W < W / 2 ? l : r)[c] ?? 0) ^ (p % 7);
  await writeFile(path.join(media, `r${i}.png`), png(raw, W, H));
  ids.push(`r${i}`);
}
await ds.add(
  "records",
  ids.map((id) => ({ id, split: "train" })),
);
await ds.add(
  "images",
  ids.map((id) => ({
    id: `img-${id}`,
    record_id: id,
    logical_name: "image",
    uri: `${id}.png`,
    width: W,
    height: H,
    format: "PNG",
  })),
);
await library.close();
execFileSync(process.execPath, [
  path.resolve(import.meta.dirname, "../../../scripts/tiny-clip.mjs"),
  path.join(dataDir, "models", "tiny-clip"),
]);

const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const server = await startTessera({ dataDir });
const base = `http://127.0.0.1:${server.port}`;
const post = async (route: string, body: unknown) => {
  const res = await fetch(`${base}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
};
try {
  const loadBefore = load();
  const started = nowMs();
  const { job_id } = (await post(`/datasets/${DATASET}/embeddings/compute`, { model: "tiny-clip" })) as {
    job_id: string;
  };
  let status = "";
  while (status !== "done") {
    const job = (await (await fetch(`${base}/io/jobs/${job_id}`)).json()) as { status: string; error: unknown };
    status = job.status;
    if (status === "error" || status === "cancelled") throw new Error(`job ${status}: ${JSON.stringify(job.error)}`);
    if (status !== "done") await new Promise((r) => setTimeout(r, 50));
  }
  const jobMs = nowMs() - started;

  const text: number[] = [];
  const similar: number[] = [];
  const listing: number[] = [];
  let duplicateFirst = 0;
  const words = ["red", "green", "blue", "yellow", "white", "black", "purple", "orange"];
  for (let q = 0; q < QUERIES; q++) {
    let s = nowMs();
    await (await fetch(`${base}/datasets/${DATASET}/records?limit=50`)).arrayBuffer();
    listing.push(nowMs() - s);
    s = nowMs();
    await post(`/datasets/${DATASET}/records/search`, { text: `a ${words[q % words.length]} picture`, k: 50 });
    text.push(nowMs() - s);
    const target = q === 0 ? "r0" : (ids[Math.floor(rng.next() * ids.length)] ?? "r0");
    s = nowMs();
    const like = (await post(`/datasets/${DATASET}/records/search`, { similar_to: target, k: 50 })) as {
      items: Array<{ id: string }>;
    };
    similar.push(nowMs() - s);
    if (q === 0 && like.items[1]?.id === `r${RECORDS - 1}`) duplicateFirst = 1;
  }
  const l = pct(listing);
  const t = pct(text);
  const m = pct(similar);
  console.log(
    JSON.stringify({
      records: RECORDS,
      loadBefore,
      loadAfter: load(),
      job: {
        ms: Math.round(jobMs),
        perImageMs: Math.round((jobMs / RECORDS) * 100) / 100,
        imagesPerS: Math.round((RECORDS / jobMs) * 1000 * 10) / 10,
      },
      listing: l,
      searchText: { ...t, p50VsListing: Math.round((t.p50 / l.p50) * 100) / 100 },
      searchSimilar: { ...m, p50VsListing: Math.round((m.p50 / l.p50) * 100) / 100 },
      plantedDuplicateRankedFirst: duplicateFirst === 1,
    }),
  );
} finally {
  await server.stop();
  await rm(root, { recursive: true, force: true });
}
