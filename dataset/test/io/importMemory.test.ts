import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

/**
 * Memory of a large import: what the import keeps grows with the source only by its
 * compact id index (16 bytes per row), so a 100,000-record import runs in the same JS heap as a
 * 10,000-record one. Each import runs in a child process of its own (peak RSS is per process),
 * with the JS heap capped at 128 MB: the former importer, which kept every id with its location
 * in a Map, ran out of heap there at 100,000 records (V8 "heap out of memory").
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, "support", "importRss.ts");
const HEAP_MB = 128;

const cleanup: string[] = [];
afterAll(async () => {
  for (const d of cleanup) await fs.rm(d, { recursive: true, force: true });
});

async function dir(): Promise<string> {
  const d = await tempDir("tessera-importmem-");
  cleanup.push(d);
  return d;
}

/** A JSONL v2 source of `records` lines (one image by uri, one box each), written as a stream. */
async function v2Source(records: number): Promise<string> {
  const src = await dir();
  await fs.writeFile(
    path.join(src, "dataset.yaml"),
    "pixano: 2\ndataset:\n  name: memory\n  workspace: image\nformat: pixano_jsonl\nmedia:\n  mode: uri\n" +
      "schema:\n  views:\n    image: image\n  entity:\n    attrs:\n      category: str\n  annotations: [bbox]\n",
  );
  await fs.mkdir(path.join(src, "train"));
  const out = await fs.open(path.join(src, "train", "metadata.jsonl"), "w");
  try {
    await out.write(
      `${JSON.stringify({ $pixano: "jsonl/2", defaults: { bbox: { format: "xywh", is_normalized: true } } })}\n`,
    );
    for (let from = 0; from < records; from += 10_000) {
      const lines: string[] = [];
      for (let i = from; i < Math.min(records, from + 10_000); i++)
        lines.push(
          JSON.stringify({
            id: `r${i}`,
            views: { image: { uri: `https://example.invalid/${i}.jpg`, width: 64, height: 48 } },
            entities: [{ attrs: { category: "car" }, annotations: [{ kind: "bbox", coords: [0.1, 0.1, 0.2, 0.2] }] }],
          }),
        );
      await out.write(`${lines.join("\n")}\n`);
    }
  } finally {
    await out.close();
  }
  return src;
}

/** Imports `source` in a child process with a capped heap; its report and peak RSS. */
function importInChild(source: string, dataDir: string): Promise<{ records: number; maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${HEAP_MB}`, "--import", "tsx", CHILD, dataDir, source],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-3000)));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`the import child exited with ${code}:\n${stderr}`));
      else resolve(JSON.parse(stdout) as { records: number; maxRssMb: number });
    });
  });
}

describe("import memory", () => {
  it("imports 100,000 records in the heap of 10,000 (peak RSS bounded, not growing with the source)", async () => {
    // Peak RSS is per process: the two imports run side by side, each in its own child (both
    // awaited before any failure is reported, so no child outlives the test).
    const runs = await Promise.allSettled([
      v2Source(10_000).then(async (src) => importInChild(src, await dir())),
      v2Source(100_000).then(async (src) => importInChild(src, await dir())),
    ]);
    const [small, large] = runs.map((r) => {
      if (r.status === "rejected") throw r.reason;
      return r.value;
    });
    if (!small || !large) throw new Error("two imports were run");
    console.log(
      `peak RSS: ${small.maxRssMb} MB for 10,000 records, ${large.maxRssMb} MB for 100,000 (heap capped at ${HEAP_MB} MB)`,
    );
    expect(small.records).toBe(10_000);
    expect(large.records).toBe(100_000);
    // Ten times the rows: the id index adds ~6 MB; allow allocator and LanceDB slack.
    expect(large.maxRssMb - small.maxRssMb).toBeLessThan(150);
  }, 600_000);
});
