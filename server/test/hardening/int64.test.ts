import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library, rowsToArrowTable, type Dataset } from "@tessera/dataset";
import {
  clientOrigin,
  MessageType,
  mulberry32,
  parseJsonExact,
  patchRecord,
  recordMap,
  transact,
  type DatasetInfo,
  type Row,
} from "@tessera/shared-crdt";
import { spawnServer, waitFor, type ServerProcess } from "../integration/support.js";

/**
 * int64 beyond ±2^53 over REST and the live documents, against a real server process: Pixano 0.8
 * answers `"big":9223372036854775807` (Python's json writes ints exactly), filters on it and
 * accepts it in a `PUT`. Expected bodies below were read off Pixano 0.8.0 serving the same rows.
 */

const DS = "int64_ds";
const MAX = "9223372036854775807";
const MIN = "-9223372036854775808";
const UNSAFE = "9007199254740993"; // 2^53 + 1

const info: DatasetInfo = {
  id: DS,
  name: "int64 extremes",
  description: "",
  size: "Unknown",
  preview: "",
  workspace: "image",
  storage_mode: "embedded",
  record: {
    base: "Record",
    name: "BigRecord",
    fields: {
      big: { collection: false, type: "int", required: false, default: 0 },
      bigs: { collection: true, type: "int", required: false, default: [] },
      score: { collection: false, type: "float", required: false, default: 0.0 },
    },
  },
  entity: { base: "Entity", fields: {} },
  views: { image: { base: "Image", fields: {} } },
};

/** Puts rows straight into LanceDB as another writer (Pixano) would, without Tessera's validation. */
async function writeRaw(ds: Dataset, rows: readonly Row[]): Promise<void> {
  await ds.add(
    "records",
    rows.map((r) => ({ id: r.id, split: "train", score: 1 })),
  );
  const t = await ds.table("records");
  if (!t) throw new Error("no records table");
  for (const r of rows) {
    const stored = await ds.get("records", String(r.id));
    await t.table.delete(`id = '${String(r.id)}'`);
    await t.table.add(rowsToArrowTable(t.layout.schema, [{ ...stored, ...r }]) as never);
  }
}

let root: string;
let dataDir: string;
let server: ServerProcess;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-int64-"));
  dataDir = path.join(root, "data");
  const library = new Library(dataDir);
  await library.init();
  const ds = await library.create("int64_ds", info);
  await writeRaw(ds, [
    { id: "max", big: BigInt(MAX), bigs: [BigInt(MAX), 1] },
    { id: "min", big: BigInt(MIN), bigs: [BigInt(MIN)] },
    { id: "small", big: 5 },
    { id: "unsafe", big: BigInt(UNSAFE) },
  ]);
  await library.close();
  server = await spawnServer(dataDir);
});

afterAll(async () => {
  await server?.kill("SIGTERM");
  if (root) await rm(root, { recursive: true, force: true });
});

async function text(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(`${server.url}${url}`, init);
  return { status: res.status, body: await res.text() };
}

const put = (id: string, json: string) =>
  text(`/datasets/${DS}/records/${id}`, { method: "PUT", headers: { "content-type": "application/json" }, body: json });

/** The record ids a filtered listing returns (ids are plain strings: JSON.parse is fine for them). */
async function idsFor(filter: string): Promise<string[]> {
  const r = await text(`/datasets/${DS}/records?filter=${encodeURIComponent(filter)}&sort=id`);
  expect(r.status, r.body).toBe(200);
  return (JSON.parse(r.body) as { items: { id: string }[] }).items.map((x) => x.id);
}

describe("int64 beyond ±2^53 over REST", () => {
  it("serves int64 max and min exactly in JSON answers (not 9223372036854776000)", async () => {
    const one = await text(`/datasets/${DS}/records/max`);
    expect(one.status).toBe(200);
    expect(one.body).toContain(`"comment":"","big":${MAX},"bigs":[${MAX},1],"score":1.0}`);
    expect(one.body).not.toContain("9223372036854776000");
    const list = await text(`/datasets/${DS}/records?limit=10`);
    expect(list.body).toContain(`"big":${MIN},"bigs":[${MIN}]`);
    expect(list.body).toContain(`"big":${UNSAFE},"bigs":[]`);
    expect(list.body).toContain(`"big":5,"bigs":[]`);
  });

  it("accepts int64 values beyond 2^53 in filters and matches them exactly", async () => {
    expect(await idsFor(`big:eq:${MAX}`)).toEqual(["max"]);
    expect(await idsFor(`big:eq:${MIN}`)).toEqual(["min"]);
    expect(await idsFor(`big:lt:-9223372036854775807`)).toEqual(["min"]);
    expect(await idsFor(`big:eq:${UNSAFE}`)).toEqual(["unsafe"]);
    expect(await idsFor(`big:eq:9007199254740992`)).toEqual([]);
    expect(await idsFor(`big:in:${MAX},${UNSAFE}`)).toEqual(["max", "unsafe"]);
    const where = await text(`/datasets/${DS}/records?where=${encodeURIComponent(`big = ${MAX}`)}`);
    expect(where.status, where.body).toBe(200);
    expect((JSON.parse(where.body) as { items: { id: string }[] }).items.map((x) => x.id)).toEqual(["max"]);
  });

  it("refuses an integer outside int64 in a filter with a 400 naming it", async () => {
    const r = await text(`/datasets/${DS}/records?filter=${encodeURIComponent("big:gt:9223372036854775808")}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ detail: "'9223372036854775808' is not a valid integer for column 'big'." });
  });

  it("PUT of a record holding int64 max succeeds (was 422) and round-trips new extremes exactly", async () => {
    const touch = await put("max", `{"comment": "still max"}`);
    expect(touch.status, touch.body).toBe(200);
    expect(touch.body).toContain(`"comment":"still max","big":${MAX},"bigs":[${MAX},1]`);

    const r = await put("small", `{"big": -9223372036854775807, "bigs": [${MAX}, ${MIN}, 7]}`);
    expect(r.status, r.body).toBe(200);
    expect(r.body).toContain(`"big":-9223372036854775807,"bigs":[${MAX},${MIN},7],"score":1.0}`);
    const back = await text(`/datasets/${DS}/records/small`);
    expect(back.body).toContain(`"big":-9223372036854775807,"bigs":[${MAX},${MIN},7]`);
    expect(await idsFor(`big:eq:-9223372036854775807`)).toEqual(["small"]);
  });

  it("refuses a PUT outside int64 with a 422 and keeps the stored value", async () => {
    const r = await put("unsafe", `{"big": 9223372036854775808}`);
    expect(r.status).toBe(422);
    const detail = (JSON.parse(r.body) as { detail: { loc: unknown[]; msg: string }[] }).detail;
    expect(detail[0]?.loc).toEqual(["body", "big"]);
    expect(detail[0]?.msg).toMatch(/int64|9223372036854775807/);
    expect((await text(`/datasets/${DS}/records/unsafe`)).body).toContain(`"big":${UNSAFE}`);
  });
});

describe("request bodies with integer literals beyond 2^53", () => {
  it("a float field given an integer literal beyond 2^53 takes it as a float, printed as Python does", async () => {
    const r = await put("min", `{"score": 12345678901234567}`);
    expect(r.status, r.body).toBe(200);
    expect(r.body).toContain(`"big":${MIN},"bigs":[${MIN}],"score":1.2345678901234568e+16}`);
  });

  it("malformed JSON holding a big integer is a 422 json_invalid with the parser's position, and the server keeps serving", async () => {
    const r = await put("min", `{"big": 12345678901234567,}`);
    expect(r.status).toBe(422);
    const detail = (JSON.parse(r.body) as { detail: { type: string; loc: unknown[] }[] }).detail;
    expect(detail[0]?.type).toBe("json_invalid");
    expect(detail[0]?.loc).toEqual(["body", 26]);
    expect((await text(`/datasets/${DS}/records/min`)).status).toBe(200);
  });

  it("a deeply nested body holding a big integer is refused as not an object, without exhausting the stack", async () => {
    const depth = 200_000;
    const r = await put("min", `${"[".repeat(depth)}12345678901234567${"]".repeat(depth)}`);
    expect(r.status).toBe(422);
    expect((await text(`/datasets/${DS}/records/min`)).status).toBe(200);
  });

  it("parses a 2 MB body of big integers in bounded time (p50/p99 printed)", async () => {
    const n = 100_000;
    const body = `[${Array.from({ length: n }, (_, i) => `9${String(i).padStart(18, "0")}`).join(",")}]`;
    const plain = `[${Array.from({ length: n }, (_, i) => String(i).padStart(15, "1")).join(",")}]`;
    const timings = async (payload: string) => {
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await put("min", payload); // an array is not a record: 422 right after parsing
        out.push(performance.now() - t0);
        expect(r.status).toBe(422);
      }
      return out.sort((a, b) => a - b);
    };
    const exact = await timings(body);
    const fast = await timings(plain);
    const pct = (xs: number[], p: number) =>
      xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? Number.NaN;
    console.log(
      `${(body.length / 1e6).toFixed(1)} MB body, ${n} integers: exact path p50=${pct(exact, 50).toFixed(1)} ms p99=${pct(exact, 99).toFixed(1)} ms; ` +
        `JSON.parse path (no 16-digit run, ${(plain.length / 1e6).toFixed(1)} MB) p50=${pct(fast, 50).toFixed(1)} ms p99=${pct(fast, 99).toFixed(1)} ms`,
    );
    expect(pct(exact, 99)).toBeLessThan(5_000); // 2 loaded cores: ~10× headroom over what a quiet machine takes
  });
});

describe("int64 beyond ±2^53 in the live record documents", () => {
  it("a y-websocket client sees the stored bigint and its bigint edit reaches REST and LanceDB exactly", async () => {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${server.wsUrl}/sync/${DS}`, "unsafe", doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { name: "int64", tessera: "1" },
      disableBc: true,
    });
    provider.messageHandlers[MessageType.tessera] = () => undefined; // confirmations: not needed here
    try {
      await waitFor(() => provider.synced, "client synced");
      // The document carries the exact stored value (lib0 encodes bigint as BigInt64).
      expect(recordMap(doc).get("big")).toBe(BigInt(UNSAFE));
      transact(doc, clientOrigin("int64-test"), () => patchRecord(doc, { big: BigInt(MIN) + 1n, bigs: [BigInt(MAX)] }));
      await waitFor(
        async () =>
          (await text(`/datasets/${DS}/records/unsafe`)).body.includes(`"big":-9223372036854775807,"bigs":[${MAX}]`),
        "edit visible over REST",
      );
    } finally {
      provider.destroy();
      doc.destroy();
    }
    // Stopping the server flushes; the LanceDB row holds the exact value.
    await server.kill("SIGTERM");
    const library = new Library(dataDir);
    try {
      const ds = await library.open(DS);
      const row = await ds.get("records", "unsafe");
      expect(row?.big).toBe(BigInt(MIN) + 1n);
      expect(row?.bigs).toEqual([BigInt(MAX)]);
      expect((await ds.get("records", "small"))?.bigs).toEqual([BigInt(MAX), BigInt(MIN), 7]);
    } finally {
      await library.close();
    }
  });
});

describe("the exact JSON parser behind request bodies", () => {
  /** A random JSON document (seeded): nesting, escapes, non-ASCII, numbers of every shape. */
  function randomJson(next: () => number, depth = 0): string {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const r = next();
    if (depth < 4 && r < 0.2)
      return `[${Array.from({ length: Math.floor(next() * 4) }, () => randomJson(next, depth + 1)).join(pick([",", " , ", ",\n"]))}]`;
    if (depth < 4 && r < 0.4) {
      const members = Array.from(
        { length: Math.floor(next() * 4) },
        () => `${JSON.stringify(pick(["a", "é", "__proto__", 'k"q', "\u0000", "0"]))}: ${randomJson(next, depth + 1)}`,
      );
      return `{${members.join(",")}}`;
    }
    return pick([
      () =>
        JSON.stringify(pick(["", "plain", "tab\t", 'quote"', "😀", "\u2028", "back\\slash", "1234567890123456789"])),
      () => String(Math.floor(next() * 1e6) - 5e5),
      () => String((next() - 0.5) * 10 ** Math.floor(next() * 40 - 20)),
      () => pick(["true", "false", "null", "-0", "0.0", "1e3", "1E-7", "-12.5e+2"]),
      () => `${pick(["", "-"])}${pick(["9", "1"])}${String(Math.floor(next() * 1e9)).padStart(17, "0")}`,
    ])();
  }

  /** JSON.parse, with each integer literal that a double cannot hold read as a bigint instead. */
  function reference(text: string): unknown {
    const marked = text.replace(
      /("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
      (m, str: string | undefined, num: string | undefined) => {
        if (str !== undefined || num === undefined || /[.eE]/.test(num) || Number.isSafeInteger(Number(num))) return m;
        return `{"$big":"${num}"}`;
      },
    );
    return JSON.parse(marked, (_k, v: unknown) =>
      v !== null && typeof v === "object" && "$big" in v ? BigInt((v as { $big: string }).$big) : v,
    );
  }

  it("agrees with JSON.parse on 2000 random documents, except that integers beyond 2^53 are exact", () => {
    const next = mulberry32(64);
    let withBig = 0;
    for (let i = 0; i < 2000; i++) {
      const text = randomJson(next);
      const got = parseJsonExact(text);
      expect(got, text).toEqual(reference(text));
      if (/\d{16}/.test(text)) withBig++;
      if (!/\d{16}/.test(text)) expect(got, text).toEqual(JSON.parse(text));
    }
    expect(withBig).toBeGreaterThan(100);
  });

  it("keeps __proto__ an own key and throws JSON.parse's own SyntaxError on bad text", () => {
    const o = parseJsonExact(`{"__proto__": {"polluted": 1}, "n": 12345678901234567}`) as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(["__proto__", "n"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const bad of [
      `[12345678901234567,]`,
      `{"a": 12345678901234567 "b": 1}`,
      `["\\x", 12345678901234567]`,
      `[01, 12345678901234567]`,
      `[12345678901234567] x`,
    ]) {
      let native: unknown;
      try {
        JSON.parse(bad);
      } catch (err) {
        native = err;
      }
      expect(() => parseJsonExact(bad), bad).toThrow(SyntaxError);
      expect(() => parseJsonExact(bad), bad).toThrow((native as Error).message);
    }
  });
});
