import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientOrigin, datasetSchemaOf, deleteRows, parseDatasetInfo, readRows, type Row } from "@tessera/shared-crdt";
import { Library } from "@tessera/dataset";
import { readRecordRows } from "@tessera/storage";
import {
  countLocalUpdates,
  DS,
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type ServerProcess,
} from "../integration/support.js";

/**
 * SPEC D-DELETE-ONE: `DELETE /tracklets/{id}` means one thing on every path. The same record,
 * three times over (ids suffixed per record), has a tracklet deleted through REST, in a live
 * document (a stock y-websocket client) and through the library; after the server folds its
 * logs, the three records hold the same rows, the ones D-CASCADE names.
 */

const RECORDS = ["rest", "live", "lib"] as const;
const str = { collection: false, type: "str", required: false, default: "" } as const;

function rowsFor(r: string) {
  const b = (id: string, extra: Row): Row => ({
    id: `${id}-${r}`,
    record_id: r,
    entity_id: `e-${r}`,
    coords: [0.1, 0.1, 0.2, 0.2],
    ...extra,
  });
  return {
    entities: [{ id: `e-${r}`, record_id: r, category: "car" }],
    tracklets: [{ id: `t-${r}`, record_id: r, entity_id: `e-${r}`, start_timestep: 0, end_timestep: 1 }],
    entity_dynamic_states: [
      { id: `s-${r}`, record_id: r, entity_id: `e-${r}`, tracklet_id: `t-${r}`, frame_index: 0 },
      { id: `s2-${r}`, record_id: r, entity_id: `e-${r}`, frame_index: 1 },
    ],
    bboxes: [
      b("b1", { tracklet_id: `t-${r}`, entity_dynamic_state_id: `s2-${r}`, frame_index: 0 }),
      b("b2", { tracklet_id: `t-${r}`, frame_index: 1 }),
      b("b3", { entity_dynamic_state_id: `s-${r}`, frame_index: 0 }),
    ],
    keypoints: [
      {
        id: `k-${r}`,
        record_id: r,
        entity_id: `e-${r}`,
        tracklet_id: `t-${r}`,
        coords: [0.5, 0.5],
        states: ["visible"],
        frame_index: 0,
      },
    ],
    relations: [
      { id: `rel-${r}`, record_id: r, entity_id: "", predicate: "near", subject_id: `b1-${r}`, object_id: `b3-${r}` },
    ],
    messages: [
      {
        id: `m-${r}`,
        record_id: r,
        entity_ids: [`e-${r}`],
        conversation_id: `c-${r}`,
        number: 0,
        user: "u",
        type: "QUESTION",
        question_type: "OPEN",
        content: "?",
      },
    ],
  };
}

/** A record's rows with the record suffix taken off ids and references, so records compare. */
function normalized(rows: Awaited<ReturnType<typeof readRecordRows>>, r: string): Record<string, string[]> {
  const strip = (v: unknown) => (typeof v === "string" ? v.replace(new RegExp(`-${r}$`), "") : v);
  const out: Record<string, string[]> = {};
  for (const [t, list] of Object.entries(rows.tables)) {
    if (!list || list.length === 0) continue;
    out[t] = list
      .map((row) => {
        const refs = ["tracklet_id", "entity_dynamic_state_id", "entity_id", "subject_id", "object_id"].map(
          (f) => `${f}=${String(strip(row[f]) ?? "")}`,
        );
        const list = Array.isArray(row.entity_ids)
          ? [`entity_ids=${(row.entity_ids as string[]).map(strip).join(",")}`]
          : [];
        return [String(strip(row.id)), ...refs, ...list].join(" ");
      })
      .sort();
  }
  return out;
}

let root = "";
let dataDir = "";
let server: ServerProcess | undefined;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-delete-semantics-"));
  dataDir = path.join(root, "data");
  const library = new Library(dataDir);
  await library.init();
  const ds = await library.create("delete_ds", {
    id: DS,
    name: "Delete semantics",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Thing", fields: { category: str } },
    entity_dynamic_state: { base: "EntityDynamicState", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    bbox: { base: "BBox", fields: {} },
    keypoint: { base: "KeyPoints", fields: {} },
    relation: { base: "Relation", fields: {} },
    message: { base: "Message", fields: {} },
    views: { image: { base: "SequenceFrame", fields: {} } },
  });
  await ds.add(
    "records",
    RECORDS.map((id) => ({ id, split: "train" })),
  );
  for (const r of RECORDS) await ds.addRecords(rowsFor(r));
  // The library path, before the server holds the dataset.
  await ds.delete("tracklets", ["t-lib"]);
  await library.close();
  server = await spawnServer(dataDir);
});

afterAll(async () => {
  await server?.kill("SIGTERM");
  if (root) await rm(root, { recursive: true, force: true });
});

describe("DELETE /tracklets/{id} means one thing on every path (SPEC D-DELETE-ONE)", () => {
  it("REST, a live document and the library delete a tracklet's per-frame rows and states alike (the library only cleared tracklet_id)", async () => {
    const s = server!;
    const res = await fetch(`${s.url}/datasets/${DS}/tracklets/t-rest`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await fetch(`${s.url}/datasets/${DS}/tracklets/t-rest`)).status).toBe(404);

    const alice = liveClient(s, "live", "alice");
    try {
      await alice.synced();
      await waitFor(() => readRows(alice.doc, "tracklets").length === 1, "the live record's tracklet in the document");
      const local = countLocalUpdates(alice.doc);
      const info = await getJson<Record<string, unknown>>(`${s.url}/datasets/${DS}/info`);
      const ctx = {
        doc: alice.doc,
        schema: datasetSchemaOf(parseDatasetInfo(info)),
        recordId: "live",
        newId: () => "unused",
      };
      deleteRows(ctx, clientOrigin("alice"), "tracklets", ["t-live"]);
      await waitFor(() => alice.confirmed() >= local() + 1, "the delete confirmed durable");
      expect(alice.rejected).toEqual([]);
    } finally {
      alice.destroy();
    }

    // Stopping the server folds every record's log into its rows.
    await s.kill("SIGTERM");
    server = undefined;
    const library = new Library(dataDir);
    try {
      const ds = await library.open(DS);
      const byPath = Object.fromEntries(
        await Promise.all(RECORDS.map(async (r) => [r, normalized(await readRecordRows(ds, r), r)] as const)),
      );
      const expected = {
        entities: ["e tracklet_id= entity_dynamic_state_id= entity_id= subject_id= object_id="],
        entity_dynamic_states: ["s2 tracklet_id= entity_dynamic_state_id= entity_id=e subject_id= object_id="],
        bboxes: ["b3 tracklet_id= entity_dynamic_state_id= entity_id=e subject_id= object_id="],
        messages: ["m tracklet_id= entity_dynamic_state_id= entity_id= subject_id= object_id= entity_ids=e"],
      };
      expect(byPath.rest).toEqual(expected);
      expect(byPath.live).toEqual(expected);
      expect(byPath.lib).toEqual(expected);
    } finally {
      await library.close();
    }
  });
});
