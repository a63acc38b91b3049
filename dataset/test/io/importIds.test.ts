import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IdIndex } from "../../src/io/idIndex.js";
import { ImportError, importDataset } from "../../src/io/index.js";
import { drawImage, tempDir } from "./helpers.js";

/**
 * Duplicate ids across batches, now that earlier batches' ids are kept as 64-bit hashes
 * (`IdIndex`): still refused, with both places, exactly as within one batch.
 */
const cleanup: string[] = [];
afterAll(async () => {
  for (const d of cleanup) await fs.rm(d, { recursive: true, force: true });
});

async function dir(): Promise<string> {
  const d = await tempDir("tessera-importids-");
  cleanup.push(d);
  return d;
}

/**
 * A v1 folder of `n` records with one entity each (entity ids e0…), line `dup.at` (1-based)
 * reusing the entity id of line `dup.of`. (Record ids are checked when the source is opened.)
 */
async function v1Source(n: number, dup?: { at: number; of: number }): Promise<string> {
  const src = await dir();
  await drawImage(path.join(src, "train", "a.png"), [8, 8, "#c81e1e"]);
  const lines = Array.from({ length: n }, (_, i) => {
    const line = i + 1;
    const entity = dup && line === dup.at ? `e${dup.of - 1}` : `e${i}`;
    return JSON.stringify({ id: `r${i}`, image: "a.png", entities: [{ id: entity, category: "car" }] });
  });
  await fs.writeFile(path.join(src, "train", "metadata.jsonl"), `${lines.join("\n")}\n`);
  return src;
}

async function importError(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
}

describe("duplicate ids across batches", () => {
  it("refuses an entity id used in an earlier batch, naming both lines, like within one batch", async () => {
    const src = await v1Source(60, { at: 55, of: 4 });
    const oneBatch = await importError(importDataset({ dataDir: await dir(), source: src }));
    // Three rows per record (record, image, entity): batches of 30 rows put line 4 and line 55 far apart.
    const data = await dir();
    const manyBatches = await importError(importDataset({ dataDir: data, source: src, batchRows: 30 }));
    for (const err of [oneBatch, manyBatches]) {
      expect(err.reason).toBe("duplicate_id");
      expect(err.location).toMatchObject({ file: "train/metadata.jsonl", line: 55 });
      expect(err.message).toContain('entities id "e3" is already used at train/metadata.jsonl:4');
    }
    expect(await fs.readdir(path.join(data, ".tessera", "staging"))).toEqual([]);
  });

  it("imports a source without duplicates over many batches (no false refusal)", async () => {
    const report = await importDataset({ dataDir: await dir(), source: await v1Source(200), batchRows: 7 });
    expect(report.tables).toMatchObject({ records: 200, images: 200, entities: 200 });
  });
});

describe("IdIndex", () => {
  it("answers seen / certainly new over a million ids in a few megabytes", () => {
    const index = new IdIndex();
    let repeats = 0;
    for (let i = 0; i < 1_000_000; i++) if (index.add(`Po5Jf8mO-${i.toString(36)}x`)) repeats++;
    expect(repeats).toBe(0);
    expect(index.size).toBe(1_000_000);
    // Half full at most: 2^21 slots × 8 bytes.
    expect(index.bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    let found = 0;
    for (let i = 0; i < 1_000_000; i += 7) if (index.has(`Po5Jf8mO-${i.toString(36)}x`)) found++;
    expect(found).toBe(Math.ceil(1_000_000 / 7));
    let falseHits = 0;
    for (let i = 0; i < 100_000; i++) if (index.has(`other-${i}`)) falseHits++;
    expect(falseHits).toBe(0);
    expect(index.add("Po5Jf8mO-0x")).toBe(true);
    expect(index.add("")).toBe(false);
    expect(index.add("")).toBe(true);
  });
});
