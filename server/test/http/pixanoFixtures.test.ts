import { existsSync, readFileSync } from "node:fs";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/index.js";
import { call, start } from "./harness.js";

/**
 * Datasets written by Pixano 0.8.0 itself (fixtures/pixano-built), served by Tessera: every row
 * and field must come back through REST, and the responses Pixano's own server gave for the same
 * requests (reference/api) must match in shape, key order and values.
 */

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../fixtures/pixano-built");
const present = existsSync(path.join(FIXTURES, "reference", "api", "_index.json"));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Bytes {
  __bytes__: string;
}
const isBytes = (v: unknown): v is Bytes => typeof v === "object" && v !== null && "__bytes__" in v;
const b64 = (v: Bytes) => new Uint8Array(Buffer.from(v.__bytes__, "base64"));

const VIEW_RESOURCE: Record<string, string> = {
  images: "images",
  sequence_frames: "sframes",
  texts: "texts",
  videos: "videos",
};
const RESOURCE: Record<string, string> = {
  records: "records",
  entities: "entities",
  entity_dynamic_states: "entity-dynamic-states",
  bboxes: "bboxes",
  masks: "masks",
  keypoints: "keypoints",
  multi_paths: "multi-paths",
  tracklets: "tracklets",
  text_spans: "text-spans",
  messages: "messages",
  classifications: "classifications",
  relations: "relations",
};

let server: RunningServer;
let tmp: string;
const folders: string[] = [];

beforeAll(async () => {
  if (!present) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), "tessera-pixano-"));
  await cp(path.join(FIXTURES, "library"), path.join(tmp, "data", "library"), { recursive: true });
  folders.push(...(await readdir(path.join(tmp, "data", "library"))).filter((f) => !f.startsWith(".")));
  server = await start(path.join(tmp, "data"));
});

afterAll(async () => {
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function datasetId(folder: string): string {
  return (JSON.parse(readFileSync(path.join(FIXTURES, "library", folder, "info.json"), "utf8")) as { id: string }).id;
}

function reference(folder: string): Record<string, Array<Record<string, unknown>>> {
  return (
    JSON.parse(readFileSync(path.join(FIXTURES, "reference", `${folder}.rows.json`), "utf8")) as {
      tables: Record<string, Array<Record<string, unknown>>>;
    }
  ).tables;
}

async function all(url: string): Promise<{ total: number; items: Array<Record<string, unknown>> }> {
  const r = await call(`${url}${url.includes("?") ? "&" : "?"}limit=1000`);
  expect(r.status, url).toBe(200);
  return r.body;
}

describe.skipIf(!present)("Pixano-built datasets through REST", () => {
  it("finds every fixture dataset", async () => {
    const r = await call(`${server.url}/datasets`);
    expect(r.body.map((d: { id: string }) => d.id).sort()).toEqual(folders.map(datasetId).sort());
  });

  it("returns every row and field of every table", async () => {
    let checked = 0;
    for (const folder of folders) {
      const id = datasetId(folder);
      const base = `${server.url}/datasets/${id}`;
      for (const [table, rows] of Object.entries(reference(folder))) {
        const viewResource = VIEW_RESOURCE[table];
        const resource = viewResource ?? RESOURCE[table];
        expect(resource, `${folder}.${table} has a route`).toBeDefined();
        const page = await all(`${base}/${resource}`);
        expect(page.total, `${folder}.${table}`).toBe(rows.length);
        const byId = new Map(page.items.map((i) => [i.id, i]));
        for (const row of rows) {
          const got = byId.get(row.id);
          expect(got, `${folder}.${table}[${String(row.id)}]`).toBeDefined();
          if (viewResource) {
            const expected: Record<string, unknown> = {
              id: row.id,
              record_id: row.record_id,
              logical_name: row.logical_name,
              created_at: "",
              updated_at: "",
            };
            for (const [k, v] of Object.entries(row))
              if (!isBytes(v) && !["id", "record_id", "logical_name", "uri", "preview_format"].includes(k))
                expected[k] = v;
            if (table === "texts") expected.uri = row.uri;
            else expected.src = row.uri ? row.uri : `/datasets/${id}/${viewResource}/${String(row.id)}/blob`;
            expect(got, `${folder}.${table}[${String(row.id)}]`).toEqual(expected);
            if (isBytes(row.raw_bytes) && row.raw_bytes.__bytes__ !== "") {
              const blob = await fetch(`${base}/${viewResource}/${String(row.id)}/blob`);
              expect(new Uint8Array(await blob.arrayBuffer()), `${folder}.${table}[${String(row.id)}] blob`).toEqual(
                b64(row.raw_bytes),
              );
            }
            if (isBytes(row.preview) && row.preview.__bytes__ !== "" && row.preview_format) {
              const preview = await fetch(`${base}/${viewResource}/${String(row.id)}/preview`);
              expect(
                new Uint8Array(await preview.arrayBuffer()),
                `${folder}.${table}[${String(row.id)}] preview`,
              ).toEqual(b64(row.preview));
            }
          } else {
            const expected: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(row)) {
              if (isBytes(v)) {
                if (table === "masks" && k === "counts")
                  expected[k] = Buffer.from(v.__bytes__, "base64").toString("utf8");
                continue;
              }
              expected[k] = v;
            }
            expect(got, `${folder}.${table}[${String(row.id)}]`).toEqual(expected);
            expect(Object.keys(got ?? {}), `${folder}.${table} key order`).toEqual(Object.keys(expected));
            const one = await call(`${base}/${resource}/${encodeURIComponent(String(row.id))}`);
            expect(one.body).toEqual(got);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});

interface Capture {
  request: string;
  status: number;
  body: Json;
}

/** Values that legitimately differ between two servers, replaced by a marker. */
function normalise(name: string, body: Json): Json {
  const walk = (v: Json, key: string | null): Json => {
    if (Array.isArray(v)) return v.map((x) => walk(x, null));
    if (v !== null && typeof v === "object") {
      const out: { [k: string]: Json } = {};
      const keys = Object.keys(v);
      // Pixano's /stats groups come from Python sets: their order means nothing.
      if (name === "stats") keys.sort();
      for (const k of keys) {
        if (name === "dataset" && ["path", "previews_path", "thumbnail"].includes(k)) continue; // relative on purpose
        out[k] = walk(v[k] as Json, k);
      }
      return out;
    }
    if (key === "preview" && typeof v === "string")
      return v === "" ? "" : v.startsWith("data:image/jpeg;base64,") ? "<jpeg data url>" : v;
    return v;
  };
  return walk(body, null);
}

describe.skipIf(!present)("responses captured from Pixano 0.8's server", () => {
  const index = present
    ? (JSON.parse(readFileSync(path.join(FIXTURES, "reference", "api", "_index.json"), "utf8")) as {
        dataset_ids: Record<string, string>;
        calls: Record<string, { request: string; status: number }>;
      })
    : { dataset_ids: {}, calls: {} };
  // Tessera serves videos (Pixano 0.8 does not), and /io is not part of this server.
  const skipped = new Set(["error_404_no_videos_route", "io_formats"]);
  const names = Object.keys(index.calls).filter((n) => !skipped.has(n));

  it.each(names)("%s", async (name) => {
    const capture = JSON.parse(
      readFileSync(path.join(FIXTURES, "reference", "api", `${name}.json`), "utf8"),
    ) as Capture;
    let request = capture.request.replace(/^GET /, "");
    for (const [folder, oldId] of Object.entries(index.dataset_ids))
      request = request.split(oldId).join(datasetId(folder));
    const r = await call(`${server.url}${request}`);
    expect(r.status).toBe(capture.status);
    if (name === "error_404_dataset") {
      expect(r.body.detail).toMatch(/^Dataset .*not found/); // Pixano's message names a server path
      return;
    }
    let expected = capture.body;
    for (const [folder, oldId] of Object.entries(index.dataset_ids))
      expected = JSON.parse(JSON.stringify(expected).split(oldId).join(datasetId(folder))) as Json;
    expect(JSON.stringify(normalise(name, r.body as Json), null, 1)).toBe(
      JSON.stringify(normalise(name, expected), null, 1),
    );
  });
});
