import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { Row } from "@tessera/shared-crdt";
import {
  buildDataDir,
  DS,
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type ServerProcess,
} from "../integration/support.js";
import { entryRanges, logFileOf, writeUnflushedEdits } from "./unflushedLogs.js";

/**
 * Hardening II item 7 (start-up recovery of the write-ahead log, per record and per entry) and the
 * `/health` part of item 10 (not ready while that recovery runs). Real server processes over logs
 * written by the server's own log and snapshot code.
 */

let server: ServerProcess | null = null;
let cleanup: (() => Promise<void>) | null = null;

afterEach(async () => {
  await server?.kill("SIGTERM");
  server = null;
  await cleanup?.();
  cleanup = null;
});

async function entityIds(url: string, recordId?: string): Promise<string[]> {
  const query = recordId === undefined ? "limit=1000" : `record_id=${encodeURIComponent(recordId)}&limit=1000`;
  const page = await getJson<{ items: Row[] }>(`${url}/datasets/${DS}/entities?${query}`);
  return page.items.map((r) => r.id as string).sort();
}

describe("start-up recovery of damaged record logs", () => {
  it("a flipped byte mid-log and a bad header on another log lose only the damaged entry: every valid entry reaches the rows, the originals are set aside, and the other logs recover", async () => {
    const data = await buildDataDir(["r1", "r2", "r3"]);
    cleanup = data.cleanup;
    const edits = await writeUnflushedEdits(data.dataDir, ["r1", "r2", "r3"], 6);
    // r1: one byte flipped inside the third entry's update (its checksum fails).
    const r1File = logFileOf(data.dataDir, "r1");
    const r1Bytes = await fs.readFile(r1File);
    const third = entryRanges(r1Bytes)[2]!;
    const r1Damaged = Buffer.from(r1Bytes);
    r1Damaged[third.start + 16 + 3] = r1Damaged[third.start + 16 + 3]! ^ 0x40;
    await fs.writeFile(r1File, r1Damaged);
    // r2: the header's checksum fails (a byte of its base flipped).
    const r2File = logFileOf(data.dataDir, "r2");
    const r2Damaged = await fs.readFile(r2File);
    r2Damaged[9] = r2Damaged[9]! ^ 0xff;
    await fs.writeFile(r2File, r2Damaged);

    server = await spawnServer(data.dataDir);
    const url = server.url;
    const r1 = edits.get("r1")!.entities;
    const lost = r1[2]!;
    const want = {
      r1: r1.filter((id) => id !== lost).sort(),
      r2: [...edits.get("r2")!.entities].sort(),
      r3: [...edits.get("r3")!.entities].sort(),
    };
    await waitFor(
      async () =>
        JSON.stringify(await entityIds(url, "r1")) === JSON.stringify(want.r1) &&
        JSON.stringify(await entityIds(url, "r2")) === JSON.stringify(want.r2) &&
        JSON.stringify(await entityIds(url, "r3")) === JSON.stringify(want.r3),
      "every valid entry of every log to be folded into the rows",
      30_000,
    );
    expect(await entityIds(url, "r1")).toEqual(want.r1);
    expect(await entityIds(url, "r2")).toEqual(want.r2);
    expect(await entityIds(url, "r3")).toEqual(want.r3);

    // The damaged originals are kept byte for byte beside the logs, and the server said so.
    const dir = path.dirname(r1File);
    const names = await fs.readdir(dir);
    const asideOf = async (file: string) => {
      const n = names.find((x) => x.startsWith(`${path.basename(file)}.damaged-`));
      expect(n, `a copy of ${path.basename(file)} set aside`).toBeDefined();
      return fs.readFile(path.join(dir, n!));
    };
    expect((await asideOf(r1File)).equals(r1Damaged)).toBe(true);
    expect((await asideOf(r2File)).equals(r2Damaged)).toBe(true);
    const out = server.logs();
    expect(out).toMatch(/record log.*\\"r1\\".*damaged bytes.*set aside/);
    expect(out).toMatch(/record log.*\\"r2\\".*bad header \(header checksum mismatch\).*set aside/);

    // The lost update is only lost on the server: a client that still holds it re-syncs it, and
    // the document and rows converge.
    const client = liveClient(server, "r1", "alice");
    Y.applyUpdate(client.doc, edits.get("r1")!.state);
    await client.synced();
    await waitFor(
      async () => (await entityIds(url, "r1")).includes(lost),
      "the re-synced edit to reach the rows",
      30_000,
    );
    client.destroy();
  });

  it("/health answers 503 recovering while start-up recovery folds logs, and 200 only once the rows are current", async () => {
    const records = Array.from({ length: 12 }, (_, i) => `h${i}`);
    const data = await buildDataDir(records);
    cleanup = data.cleanup;
    const edits = await writeUnflushedEdits(data.dataDir, records, 1);
    const expected = [...edits.values()].flatMap((e) => e.entities).sort();

    server = await spawnServer(data.dataDir);
    const url = server.url;
    const seen: Array<{ status: number; body: { status?: string } }> = [];
    const started = Date.now();
    let rowsAtReady: string[] = [];
    for (;;) {
      const res = await fetch(`${url}/health`);
      const body = (await res.json()) as { status?: string };
      seen.push({ status: res.status, body });
      if (res.status === 200) {
        rowsAtReady = await entityIds(url);
        break;
      }
      expect(res.status).toBe(503);
      expect(body.status).toBe("recovering");
      expect(res.headers.get("retry-after")).toBe("1");
      if (Date.now() - started > 60_000) throw new Error("recovery did not finish within 60 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    const recoveringFor = Date.now() - started;
    console.log(
      `/health: ${seen.filter((s) => s.status === 503).length} × 503 over ${recoveringFor} ms of recovery (${records.length} logs), then 200`,
    );
    expect(seen[0]?.status, "the first health check, right after listening, must not say ok").toBe(503);
    expect(seen.at(-1)?.body.status).toBe("ok");
    expect(rowsAtReady, "when /health says ok, every unfolded log is in the rows").toEqual(expected);
  });
});
