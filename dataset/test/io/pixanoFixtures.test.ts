import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { importDataset } from "../../src/io/index.js";
import { cell, PIXANO_BUILT, readAll, tempDir } from "./helpers.js";

/**
 * The sources committed under fixtures/pixano-built/sources were imported by Pixano 0.8.0 itself
 * (reference/<ds>.rows.json, library/<ds>/info.json). Importing them here must give the same
 * tables, the same rows — ids included, since Pixano 0.8 derives them deterministically — and
 * the same info.json manifests. Intentional differences: `created_at`/`updated_at` (import time)
 * and the `preview` PNG bytes (Pillow vs libvips encoders; same size, same presence).
 */
type RefRow = Record<string, unknown>;
const DATASETS = ["image_det", "vqa", "mel", "video", "video_ref"];
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

function refCell(v: unknown): string {
  if (v !== null && typeof v === "object" && "__bytes__" in (v as object))
    return `bytes:${(v as { __bytes__: string }).__bytes__}`;
  return JSON.stringify(v);
}

async function pngSize(bytes: Uint8Array): Promise<string> {
  const m = await sharp(bytes).metadata();
  return `${m.format} ${m.width}x${m.height}`;
}

describe.each(DATASETS)("Pixano-built fixture %s", (name) => {
  it("imports to the rows and manifests Pixano 0.8.0 built", async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const report = await importDataset({ dataDir, source: path.join(PIXANO_BUILT, "sources", name) });
    expect(report.format).toBe("pixano_jsonl");
    const ours = await readAll(report.path);
    const ref = JSON.parse(await fs.readFile(path.join(PIXANO_BUILT, "reference", `${name}.rows.json`), "utf8")) as {
      tables: Record<string, RefRow[]>;
    };

    expect([...ours.keys()].sort()).toEqual(Object.keys(ref.tables).sort());
    for (const [table, refRows] of Object.entries(ref.tables)) {
      const mine = new Map((ours.get(table as never) ?? []).map((r) => [r.id as string, r]));
      expect(mine.size, `${table} row count`).toBe(refRows.length);
      for (const r of refRows) {
        const o = mine.get(r.id as string);
        expect(o, `${table}[${String(r.id)}]`).toBeDefined();
        for (const [k, v] of Object.entries(r)) {
          if (k === "created_at" || k === "updated_at") continue;
          let got = o![k];
          if (k === "counts" && typeof got === "string") got = new TextEncoder().encode(got);
          if (k === "preview") {
            const want = Buffer.from((v as { __bytes__: string }).__bytes__, "base64");
            expect((got as Uint8Array).length > 0, `${table}[${String(r.id)}].preview present`).toBe(want.length > 0);
            if (want.length > 0) expect(await pngSize(got as Uint8Array)).toBe(await pngSize(want));
            continue;
          }
          expect(cell(got), `${table}[${String(r.id)}].${k}`).toBe(refCell(v));
        }
      }
    }

    const info = JSON.parse(await fs.readFile(path.join(report.path, "info.json"), "utf8")) as Record<string, unknown>;
    const refInfo = JSON.parse(
      await fs.readFile(path.join(PIXANO_BUILT, "library", name, "info.json"), "utf8"),
    ) as Record<string, unknown>;
    expect(Object.keys(info)).toEqual(Object.keys(refInfo));
    for (const k of Object.keys(refInfo))
      if (k !== "id" && k !== "creation_date") expect(info[k], `info.json ${k}`).toEqual(refInfo[k]);
  });
});
