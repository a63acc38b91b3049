// The test-only kind registers itself on import: it must come before every import of @tessera/shared-crdt.
import { testPoints } from "./testPoints.kind.js";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as Y from "yjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import { exportDataset, importDataset } from "@tessera/dataset/io";
import {
  addRow,
  ANNOTATION_KINDS,
  clientOrigin,
  COMPONENT_TABLES,
  createEntity,
  datasetSchemaOf,
  deleteRows,
  kindOf,
  parseDatasetInfo,
  readRows,
  referencesOf,
  registeredTableName,
  SLOTS,
  ALL_SLOTS,
  TABLE_NAMES,
  TABLES,
  tableByResource,
  ValidationError,
  type DocContext,
  type Row,
} from "@tessera/shared-crdt";
import { KindRegistryError, registerAnnotationKind } from "@tessera/shared-crdt/kinds";
import type { RunningServer } from "../../src/index.js";
import { PERMISSIONS } from "../../src/auth/permissions.js";
import { call, start } from "../http/harness.js";
import { png } from "../http/testLibrary.js";

/**
 * The "add a kind" recipe, proved (docs/ARCHITECTURE.md §9): a kind that exists only in this test
 * folder — one declaration module, this file — is a table, a record-document map, a reference
 * source, an `info.json` slot, a REST resource with permissions and a JSONL v2 annotation kind,
 * with no line of shared-crdt, dataset or server naming it.
 */
const TABLE = registeredTableName(testPoints.id);
const DS_ID = "pts_ds";
const me = clientOrigin("s1");

let root = "";
let dataDir = "";
let server: RunningServer | undefined;
/** The rows the document mutators made, as written to LanceDB. */
let docRows: Row[] = [];

const str = () => ({ collection: false, type: "str", required: false, default: "" });

const INFO = {
  id: DS_ID,
  name: "Points",
  description: "",
  size: "Unknown",
  preview: "",
  workspace: "image",
  storage_mode: "embedded",
  record: { base: "Record", fields: {} },
  entity: { base: "Entity", name: "PtEntity", fields: { category: str() } },
  test_point: { base: "TestPoint", fields: {} },
  views: { image: { base: "Image", fields: {} } },
};

function recordDoc(): DocContext {
  let n = 0;
  const schema = datasetSchemaOf(parseDatasetInfo(INFO));
  return { doc: new Y.Doc(), schema, recordId: "r0", newId: () => `pt${++n}` };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-kinds-"));
  dataDir = path.join(root, "data");
});
afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe("a test-only annotation kind, added by one declaration module", () => {
  it("is in the registry and every table derived from it; registering after the first read throws", () => {
    expect(ANNOTATION_KINDS.map((k) => k.id)).toContain("test_points");
    expect(kindOf("test_points")).toBe(testPoints);
    expect(TABLE_NAMES).toContain("test_points");
    expect(TABLE_NAMES.at(-1)).toBe("embeddings");
    expect(COMPONENT_TABLES).toContain("test_points");
    expect(TABLES[TABLE]).toMatchObject({ baseClass: "TestPoint", group: "annotations", slot: "test_point" });
    expect(tableByResource("test-points")?.name).toBe("test_points");
    expect(ALL_SLOTS).toContain("test_point");
    expect(SLOTS).not.toContain("test_point");
    expect(referencesOf(TABLE).map((r) => `${r.field}->${r.target.join("|")}:${r.onDelete}`)).toEqual([
      "record_id->records:cascade",
      "view_id->images|sequence_frames|videos|texts|pdfs|point_clouds:cascade",
      "entity_id->entities:cascade",
    ]);
    expect(PERMISSIONS).toMatchObject({
      list_test_points: { access: "dataset", min: "viewer" },
      get_test_point: { access: "dataset", min: "viewer" },
      create_test_point: { access: "dataset", min: "annotator" },
      delete_test_point: { access: "dataset", min: "annotator" },
    });
    expect(() => registerAnnotationKind({ ...testPoints, id: "late_points", table: "late_points" })).toThrow(
      KindRegistryError,
    );
  });

  it("rows are made by the document mutators, validated, and cascade with their entity", () => {
    const c = recordDoc();
    const { entityId } = createEntity(c, me, { entity: {} });
    const id = addRow(c, me, TABLE, { entity_id: entityId, view_id: "img-0", label: "nose", x: 0.25, y: 0.5 });
    expect(readRows(c.doc, TABLE)).toEqual([
      expect.objectContaining({ id, record_id: "r0", entity_id: entityId, label: "nose", x: 0.25, y: 0.5 }),
    ]);
    expect(() => addRow(c, me, TABLE, { entity_id: entityId, label: 7 })).toThrow(ValidationError);
    // The kind's own value rule runs in the shared validator.
    expect(() => addRow(c, me, TABLE, { entity_id: entityId, x: 2 })).toThrow(/x.*must be in \[0, 1\]/);
    docRows = readRows(c.doc, TABLE);
    // The derived reference table: deleting the entity takes the point.
    const removed = deleteRows(c, me, "entities", [entityId]);
    expect(removed[TABLE]).toEqual([id]);
    expect(readRows(c.doc, TABLE)).toEqual([]);
  });

  it("is stored in LanceDB, listed and read over REST, exported and re-imported through JSONL v2", async () => {
    expect(docRows).toHaveLength(1);
    const library = new Library(dataDir, { now: () => new Date("2026-01-02T03:04:05.000Z") });
    await library.init();
    const ds = await library.create("pts_folder", INFO);
    const entityId = docRows[0]!.entity_id as string;
    await ds.addRecords({
      records: [{ id: "r0", split: "train" }],
      images: [
        {
          id: "img-0",
          record_id: "r0",
          logical_name: "image",
          raw_bytes: await png(8, 6, [1, 2, 3]),
          width: 8,
          height: 6,
          format: "PNG",
        },
      ],
      entities: [{ id: entityId, record_id: "r0", category: "face" }],
      [TABLE]: docRows,
    });
    const stored = (await ds.query(TABLE)).items;
    expect(stored).toEqual([expect.objectContaining({ id: docRows[0]!.id, label: "nose", x: 0.25, y: 0.5 })]);

    server = await start(dataDir);
    const base = `${server.url}/datasets/${DS_ID}/test-points`;
    const list = await call<{ items: Row[]; total: number }>(`${base}?record_id=r0`);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    expect(list.body.items[0]).toMatchObject({ id: docRows[0]!.id, label: "nose" });
    const one = await call<Row>(`${base}/${String(docRows[0]!.id)}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ entity_id: entityId, x: 0.25, y: 0.5 });

    // The OpenAPI document lists its routes and its component schemas, from the same registry.
    const doc = await call<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>(
      `${server.url}/openapi.json`,
    );
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/datasets/{dataset_id}/test-points", "/datasets/{dataset_id}/test-points/{id}"]),
    );
    expect(doc.body.components.schemas).toHaveProperty("TestPointResponse");

    const dest = path.join(root, "export");
    await exportDataset({ dataDir, dataset: DS_ID, dest });
    const lines = (await readFile(path.join(dest, "train", "metadata.jsonl"), "utf8")).trim().split("\n");
    const line = JSON.parse(lines[1]!) as { entities: Array<{ annotations: Array<Record<string, unknown>> }> };
    expect(line.entities[0]!.annotations).toEqual([
      expect.objectContaining({ kind: "test_point", label: "nose", x: 0.25, y: 0.5, view: "image" }),
    ]);
    const again = await importDataset({ dataDir: path.join(root, "second"), source: dest });
    expect(again.tables[TABLE]).toBe(1);
    const reimported = await new Library(path.join(root, "second")).open(again.datasetId);
    expect((await reimported.query(TABLE)).items).toEqual([
      expect.objectContaining({ id: docRows[0]!.id, entity_id: entityId, label: "nose", x: 0.25, y: 0.5 }),
    ]);
  });
});
