import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../integration/support.js";
import { pollServer } from "./pollServer.js";
import { spawnServer, type ServerProcess } from "./httpSupport.js";

/**
 * SPEC R-PIXANO against a real server process: REST creates and updates get the verdict Pixano
 * 0.8.0's REST gave for the same requests on the same datasets (2xx or 4xx) and store the same row
 * values. The requests and Pixano's answers are `fixtures/pixano-built/reference/rest_verdicts.json`
 * (captured by `capture_rest_verdicts.py`); the cases run in order on one copy of the library, as
 * they ran on Pixano. Rows written that way then live in the record documents: a stock y-websocket
 * client loads and edits such a record, and the persist worker writes the lenient rows back as
 * they are.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BUILT = path.join(ROOT, "fixtures", "pixano-built");
const REFERENCE = path.join(BUILT, "reference", "rest_verdicts.json");
const present = existsSync(REFERENCE);

interface Step {
  readonly method: "POST" | "PUT";
  readonly path: string;
  readonly body: unknown;
  readonly status: number;
  readonly response: unknown;
}
interface Case {
  readonly name: string;
  readonly about: string;
  readonly dataset: string;
  readonly steps: readonly Step[];
  readonly readback: {
    readonly path: string;
    readonly status: number;
    readonly row: Record<string, unknown> | null;
  } | null;
}
interface Reference {
  readonly datasets: Readonly<Record<string, string>>;
  readonly cases: readonly Case[];
}

const reference: Reference = present
  ? (JSON.parse(readFileSync(REFERENCE, "utf8")) as Reference)
  : { datasets: {}, cases: [] };

/**
 * Timestamps are each server's wall clock: compared as present, not by value (as the capture
 * scrubbed them) — except a value from 2001, which only a client sends (kept means not server-owned).
 */
function scrub(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrub);
  if (typeof v === "object" && v !== null) {
    const stamp = (k: string, x: unknown) =>
      (k === "created_at" || k === "updated_at") && !String(x).startsWith("2001-");
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stamp(k, x) ? "<timestamp>" : scrub(x)]));
  }
  return v;
}

const verdict = (status: number): "accepted" | "refused" => (status >= 200 && status < 300 ? "accepted" : "refused");

async function send(url: string, method: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : (JSON.parse(text) as unknown) };
}

let tmp = "";
let server: ServerProcess | undefined;

beforeAll(async () => {
  if (!present) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), "tessera-restlax-"));
  const library = path.join(tmp, "data", "library");
  await mkdir(library, { recursive: true });
  for (const folder of new Set(reference.cases.map((c) => c.dataset))) {
    await cp(path.join(BUILT, "library", folder), path.join(library, folder), { recursive: true });
  }
  server = await spawnServer(path.join(tmp, "data"), { TESSERA_AUTH: "off" });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function base(c: Case): string {
  const id = reference.datasets[c.dataset];
  if (!server || !id) throw new Error(`no server or no dataset ${c.dataset}`);
  return `${server.url}/datasets/${id}/`;
}

describe.skipIf(!present)("R-PIXANO: REST creates and updates get Pixano 0.8.0's verdicts", () => {
  for (const c of reference.cases) {
    it(`R-PIXANO ${c.name}: ${c.about} — ${c.steps.map((s) => `${s.method} ${s.status}`).join(", ")} as in Pixano`, async () => {
      for (const step of c.steps) {
        const r = await send(base(c) + step.path, step.method, step.body);
        expect({ step: `${step.method} ${step.path}`, verdict: verdict(r.status), answer: r.json }).toMatchObject({
          step: `${step.method} ${step.path}`,
          verdict: verdict(step.status),
        });
        if (verdict(step.status) === "accepted") {
          expect(r.status).toBe(step.status);
          expect(scrub(r.json)).toEqual(step.response);
        }
      }
      if (c.readback) {
        const r = await send(base(c) + c.readback.path, "GET", undefined);
        expect(r.status).toBe(c.readback.status);
        if (c.readback.row) expect(scrub(r.json)).toEqual(c.readback.row);
      }
    });
  }
});

describe.skipIf(!present)("R-PIXANO: rows REST wrote as leniently as Pixano live in the record document", () => {
  const record = "Po5Jf8mO-5J9NDWlYWTuCAucXepNpfq";
  const dataset = reference.datasets.image_det ?? "";

  it("R-PIXANO live: a stock y-websocket client loads and edits the rows REST wrote leniently, the persist worker writes them back unchanged, and a reversed box created live is still repaired away", async () => {
    if (!server) throw new Error("no server");
    const lenient = [
      "bboxes/rl-bbox-reversed",
      "entities/rl-ent-parent-other",
      "masks/rl-mask-not-rle",
      "bboxes/rl-bbox-entity-other",
    ];
    const before = new Map<string, unknown>();
    for (const p of lenient) {
      const r = await send(`${server.url}/datasets/${dataset}/${p}`, "GET", undefined);
      expect(r.status, p).toBe(200);
      before.set(p, r.json);
    }
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${server.url.replace(/^http/, "ws")}/sync/${dataset}`, record, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { name: "stock" },
      disableBc: true,
    });
    try {
      await waitFor(() => provider.synced, "stock client synced");
      const box = doc.getMap("bboxes").get("rl-bbox-reversed");
      expect(box).toBeInstanceOf(Y.Map);
      expect((box as Y.Map<unknown>).get("coords")).toEqual([50, 40, 10, 5]);
      const entity = doc.getMap("entities").get("rl-ent-parent-other") as Y.Map<unknown>;
      expect(entity.get("parent_id")).toBe("person-1");
      // An edit of another field of each lenient row is kept (D-REPAIR: it adds no problem).
      doc.transact(() => {
        (box as Y.Map<unknown>).set("confidence", 0.9);
        entity.set("category", "edited-live");
      });
      // The persist worker writes table by table: wait until both rows are folded in.
      await pollServer(async () => {
        const e = await send(`${server!.url}/datasets/${dataset}/entities/rl-ent-parent-other`, "GET", undefined);
        const b = await send(`${server!.url}/datasets/${dataset}/bboxes/rl-bbox-reversed`, "GET", undefined);
        return (
          (e.json as { category?: string } | null)?.category === "edited-live" &&
          (b.json as { confidence?: number } | null)?.confidence === 0.9
        );
      }, "live edit persisted");
      const boxNow = await send(`${server.url}/datasets/${dataset}/bboxes/rl-bbox-reversed`, "GET", undefined);
      expect(scrub(boxNow.json)).toEqual({
        ...(scrub(before.get("bboxes/rl-bbox-reversed")) as object),
        confidence: 0.9,
      });
      const entNow = await send(`${server.url}/datasets/${dataset}/entities/rl-ent-parent-other`, "GET", undefined);
      expect(entNow.json).toEqual({
        ...(before.get("entities/rl-ent-parent-other") as object),
        category: "edited-live",
      });
      for (const p of ["masks/rl-mask-not-rle", "bboxes/rl-bbox-entity-other"]) {
        expect(scrub((await send(`${server.url}/datasets/${dataset}/${p}`, "GET", undefined)).json), p).toEqual(
          scrub(before.get(p)),
        );
      }
      expect((box as Y.Map<unknown>).get("confidence")).toBe(0.9);

      // Live clients keep Tessera's rules (R-PIXANO applies to REST only): a reversed box created
      // live is removed again by the server's repair, and never reaches the rows.
      doc.transact(() => {
        const live = new Y.Map<unknown>();
        for (const [k, v] of Object.entries({
          ...(scrub(before.get("bboxes/rl-bbox-reversed")) as Record<string, unknown>),
          id: "rl-live-reversed",
        })) {
          if (k !== "created_at" && k !== "updated_at") live.set(k, v);
        }
        doc.getMap("bboxes").set("rl-live-reversed", live);
      });
      await waitFor(() => !doc.getMap("bboxes").has("rl-live-reversed"), "live reversed box repaired away");
      expect((await send(`${server.url}/datasets/${dataset}/bboxes/rl-live-reversed`, "GET", undefined)).status).toBe(
        404,
      );
    } catch (err) {
      console.log(server.logs().slice(-3000));
      throw err;
    } finally {
      provider.destroy();
      doc.destroy();
    }
  });
});
