import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import type { Row, TableName } from "@tessera/shared-crdt";
import { Dataset } from "../../src/index.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
export const PIXANO_BUILT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../fixtures/pixano-built",
);

export async function tempDir(prefix = "tessera-io-"): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

type ImageSpec =
  [number, number, string] | { index: [number, number]; rects: Array<[number, number, number, number, number]> };

/** Draws one fixture image: a solid colour (PNG or JPEG by extension), or an 8-bit index mask. */
export async function drawImage(file: string, spec: ImageSpec): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  if (Array.isArray(spec)) {
    const [width, height, colour] = spec;
    const img = sharp({ create: { width, height, channels: 3, background: colour } });
    await (file.endsWith(".jpg") || file.endsWith(".jpeg") ? img.jpeg({ quality: 80 }) : img.png()).toFile(file);
    return;
  }
  const [width, height] = spec.index;
  const px = new Uint8Array(width * height);
  for (const [x0, y0, x1, y1, v] of spec.rects)
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) px[y * width + x] = v;
  await sharp(px, { raw: { width, height, channels: 1 } })
    .png()
    .toFile(file);
}

/** A temporary copy of `fixtures/<name>` with the images of its `images.json` drawn. */
export async function materialize(name: string, into?: string): Promise<string> {
  const dir = into ?? path.join(await tempDir(), name);
  await fs.cp(path.join(FIXTURES, name), dir, { recursive: true });
  const manifest = path.join(dir, "images.json");
  const specs = JSON.parse(await fs.readFile(manifest, "utf8")) as Record<string, ImageSpec>;
  await fs.rm(manifest);
  for (const [rel, spec] of Object.entries(specs)) await drawImage(path.join(dir, rel), spec);
  return dir;
}

/** Every row of every table of a dataset folder, all columns (media bytes included). */
export async function readAll(datasetPath: string): Promise<Map<TableName, Row[]>> {
  const ds = await Dataset.open(datasetPath);
  try {
    const out = new Map<TableName, Row[]>();
    for (const t of await ds.tables()) {
      const columns = ds.schema.tables.get(t)!.columns.map((c) => c.name);
      out.set(t, (await ds.query(t, { columns })).items);
    }
    return out;
  } finally {
    ds.close();
  }
}

/** Lists every file under a folder (relative paths), to prove a run wrote nothing. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    let entries;
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
    }
  };
  await walk(dir, "");
  return out.sort();
}

/** A comparable form of a cell (bytes as base64). */
export function cell(v: unknown): string {
  return v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString("base64")}` : JSON.stringify(v);
}

/**
 * Row-by-row differences between two datasets' tables, matched by id; timestamps skipped.
 * Returns human-readable lines (empty when equal).
 */
export function diffTables(
  a: Map<TableName, Row[]>,
  b: Map<TableName, Row[]>,
  skip: readonly string[] = ["created_at", "updated_at"],
): string[] {
  const out: string[] = [];
  const nonEmpty = (m: Map<TableName, Row[]>) => new Set([...m].filter(([, rows]) => rows.length > 0).map(([t]) => t));
  const ta = nonEmpty(a);
  const tb = nonEmpty(b);
  for (const t of new Set([...ta, ...tb])) {
    const ra = a.get(t) ?? [];
    const rb = new Map((b.get(t) ?? []).map((r) => [r.id as string, r]));
    if (ra.length !== rb.size) out.push(`${t}: ${ra.length} rows vs ${rb.size}`);
    for (const r of ra) {
      const o = rb.get(r.id as string);
      if (!o) {
        out.push(`${t}[${String(r.id)}]: missing`);
        continue;
      }
      for (const k of new Set([...Object.keys(r), ...Object.keys(o)])) {
        if (skip.includes(k)) continue;
        if (cell(r[k]) !== cell(o[k]))
          out.push(`${t}[${String(r.id)}].${k}: ${cell(r[k]).slice(0, 80)} vs ${cell(o[k]).slice(0, 80)}`);
      }
    }
  }
  return out;
}
