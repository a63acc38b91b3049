import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileRecordLog, walDir, type RecordKey } from "../src/index.js";
import { encodeId } from "../src/stateFiles.js";
import { ENTRY_HEADER, scanEntries, parseHeader } from "../src/walFormat.js";

/**
 * Per-entry recovery of record logs (Hardening II item 7): damage costs the damaged entry only, the
 * original is copied aside before any rewrite, and one unusable file never stops the listing.
 */

const key: RecordKey = { datasetId: "ds", recordId: "rec" };
let dataDir: string;

function walFile(k: RecordKey): string {
  return path.join(walDir(dataDir), encodeId(k.datasetId), encodeId(k.recordId) + ".wal");
}

async function writeLog(k: RecordKey, updates: number[][]): Promise<Buffer> {
  const log = new FileRecordLog({ dataDir });
  for (const u of updates) await log.append(k, Uint8Array.from(u));
  await log.close();
  return fs.readFile(walFile(k));
}

/** Offset of the n-th entry's frame. */
function frameAt(bytes: Buffer, n: number): number {
  const h = parseHeader(bytes);
  if (!h.ok) throw new Error(h.problem);
  const e = scanEntries(bytes, h.header).entries[n]!;
  return e.offset - ENTRY_HEADER;
}

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-wal-recovery-"));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe("record log recovery per entry", () => {
  it("a flipped byte in a middle entry loses that entry only: the entries after it are kept, not truncated away", async () => {
    const bytes = await writeLog(key, [
      [1, 1, 1, 1],
      [2, 2, 2, 2],
      [3, 3, 3, 3],
      [4, 4, 4, 4],
    ]);
    const damaged = Buffer.from(bytes);
    const at = frameAt(bytes, 1) + ENTRY_HEADER + 1;
    damaged[at] = damaged[at]! ^ 0x01;
    await fs.writeFile(walFile(key), damaged);

    // A reader (the persist worker) already sees every valid entry, before any repair.
    const reader = new FileRecordLog({ dataDir, readOnly: true });
    expect((await reader.read(key)).map((e) => e.pos)).toEqual([1, 3, 4]);
    await reader.close();

    const warnings: string[] = [];
    const log = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    expect(await log.pending()).toEqual([key]);
    expect((await log.read(key)).map((e) => [e.pos, ...e.update])).toEqual([
      [1, 1, 1, 1, 1],
      [3, 3, 3, 3, 3],
      [4, 4, 4, 4, 4],
    ]);
    expect(await log.append(key, Uint8Array.of(5))).toBe(5);
    await log.close();
    expect(warnings.join("\n")).toMatch(/"rec".*damaged bytes.*kept 3 valid entries.*set aside as .*\.damaged-\d+/);
    const names = await fs.readdir(path.dirname(walFile(key)));
    const aside = names.filter((n) => n.includes(".damaged-"));
    expect(aside).toHaveLength(1);
    expect(await fs.readFile(path.join(path.dirname(walFile(key)), aside[0]!))).toEqual(damaged);

    const again = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    expect((await again.read(key)).map((e) => e.pos)).toEqual([1, 3, 4, 5]);
    await again.close();
    expect(warnings).toHaveLength(1);
  });

  it("garbage between entries (a block of another file, zeros) is skipped and the entries on both sides kept", async () => {
    const bytes = await writeLog(key, [[1], [2], [3]]);
    const cut = frameAt(bytes, 2);
    const garbage = Buffer.concat([Buffer.alloc(300, 0), Buffer.from("not a log entry at all ".repeat(20))]);
    await fs.writeFile(walFile(key), Buffer.concat([bytes.subarray(0, cut), garbage, bytes.subarray(cut)]));
    const log = new FileRecordLog({ dataDir, onWarning: () => {} });
    expect((await log.read(key)).map((e) => [e.pos, ...e.update])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    await log.close();
  });

  it("a log with a bad header does not stop the listing of the others, and keeps its own entries", async () => {
    const other: RecordKey = { datasetId: "ds", recordId: "other" };
    await writeLog(other, [[9]]);
    const bytes = await writeLog(key, [[1], [2]]);
    const damaged = Buffer.from(bytes);
    damaged[0] = 0x58; // the magic is gone
    await fs.writeFile(walFile(key), damaged);
    const warnings: string[] = [];
    const log = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    const pending = await log.pending();
    expect(pending).toHaveLength(2);
    expect(pending).toEqual(expect.arrayContaining([key, other]));
    expect((await log.read(key)).map((e) => [e.pos, ...e.update])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(warnings.join("\n")).toMatch(/bad header \(not a Tessera log file\)/);
    await log.close();
  });
});
