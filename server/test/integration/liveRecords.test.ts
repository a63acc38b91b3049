import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  addAnswer,
  addKeyframe,
  addQuestion,
  addRow,
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  moveVertex,
  parseDatasetInfo,
  readRows,
  relabel,
  rowsOfDoc,
  TABLES,
  type ComponentTable,
  type DocContext,
  type Row,
  withCustom,
} from "@tessera/shared-crdt";
import {
  buildDataDir,
  DS,
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type LiveClient,
  type ServerProcess,
} from "./support.js";

const RECORD = "rec-1";
let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess;

beforeAll(async () => {
  data = await buildDataDir([RECORD]);
  server = await spawnServer(data.dataDir);
});

afterAll(async () => {
  await server?.kill("SIGTERM");
  await data?.cleanup();
});

async function contextOf(client: LiveClient, name: string): Promise<DocContext> {
  const info = await getJson<Record<string, unknown>>(`${server.url}/datasets/${DS}/info`);
  let n = 0;
  return {
    doc: client.doc,
    schema: datasetSchemaOf(parseDatasetInfo(info)),
    recordId: RECORD,
    newId: () => `${name}-${++n}`,
  };
}

/** The record's rows of one table as the REST API serves them, sorted by id. */
async function restRows(table: ComponentTable): Promise<Row[]> {
  const page = await getJson<{ items: Row[] }>(
    `${server.url}/datasets/${DS}/${TABLES[table].resource}?record_id=${RECORD}&limit=1000`,
  );
  return page.items.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

describe("live record documents over real server processes", () => {
  it("three stock y-websocket clients edit one record at once, converge, and the rows match within 10 s", async () => {
    const [a, b, c] = ["alice", "bob", "carol"].map((n) => liveClient(server, RECORD, n)) as [
      LiveClient,
      LiveClient,
      LiveClient,
    ];
    await Promise.all([a.synced(), b.synced(), c.synced()]);
    const [ca, cb, cc] = await Promise.all([contextOf(a, "a"), contextOf(b, "b"), contextOf(c, "c")]);

    // All three edit at the same time, each in its own transactions.
    const ent: string[] = [];
    for (let i = 0; i < 5; i++) {
      ent.push(
        createEntity(ca, clientOrigin("a"), {
          entity: withCustom({}, { category: "car" }),
          annotation: { table: "bboxes", row: { coords: [0.1 * i, 0.1, 0.05, 0.05] } },
        }).entityId,
      );
    }
    const poly = createEntity(ca, clientOrigin("a"), {
      entity: withCustom({}, { category: "road" }),
      annotation: { table: "multi_paths", row: { coords: [0, 0, 1, 0, 1, 1], num_points: [3], is_closed: true } },
    });
    const walker = createEntity(cb, clientOrigin("b"), { entity: withCustom({}, { category: "person" }) }).entityId;
    const track = addRow(cb, clientOrigin("b"), "tracklets", {
      entity_id: walker,
      view_id: "image",
      start_timestep: 0,
      end_timestep: 4,
    });
    for (const f of [0, 2, 4]) {
      addKeyframe(cb, clientOrigin("b"), {
        trackletId: track,
        table: "bboxes",
        frameIndex: f,
        frameId: `frame-${f}`,
        fields: { coords: [0.1 + f / 20, 0.5, 0.1, 0.2] },
      });
    }
    const q = addQuestion(cc, clientOrigin("c"), {
      content: "How many cars?",
      questionType: "SINGLE_CHOICE",
      choices: ["4", "5", "6"],
    });
    addAnswer(cc, clientOrigin("c"), q.id, "[[B]] five cars");
    addRow(cc, clientOrigin("c"), "keypoints", {
      template_id: "face",
      coords: [0.2, 0.2, 0.3, 0.2],
      states: ["visible", "hidden"],
    });

    // Cross edits once the others' rows have arrived.
    // a relabels b's walker below, so a must have it too.
    await waitFor(
      () => [a, b, c].every((x) => readRows(x.doc, "entities").length >= 7),
      "entities to reach a, b and c",
    );
    relabel(cb, clientOrigin("b"), ent[0] as string, "truck");
    moveVertex(cc, clientOrigin("c"), "multi_paths", poly.annotationId as string, 1, 0.8, 0.1);
    relabel(ca, clientOrigin("a"), walker, "cyclist");

    // Everyone converges.
    const expected = await waitFor(() => {
      const ra = JSON.stringify(rowsOfDoc(a.doc));
      return (
        ra === JSON.stringify(rowsOfDoc(b.doc)) &&
        ra === JSON.stringify(rowsOfDoc(c.doc)) &&
        readRows(a.doc, "messages").length === 2 &&
        readRows(a.doc, "keypoints").length === 1 &&
        ra
      );
    }, "three clients to converge");
    const rows = JSON.parse(expected) as ReturnType<typeof rowsOfDoc>;
    expect(rows.tables.entities?.find((e) => e.id === ent[0])?.category).toBe("truck");
    expect(rows.tables.entities?.find((e) => e.id === walker)?.category).toBe("cyclist");
    expect(rows.tables.multi_paths?.[0]?.coords).toEqual([0, 0, 0.8, 0.1, 1, 1]);
    expect(rows.tables.bboxes).toHaveLength(8);
    expect(rows.record.status).toBe("inProgress"); // W1: the first edit started the record

    // The persist worker folds the document into LanceDB rows: REST serves them within 10 s.
    const tables: ComponentTable[] = ["entities", "bboxes", "multi_paths", "tracklets", "keypoints", "messages"];
    await waitFor(
      async () => {
        for (const t of tables)
          if (JSON.stringify(await restRows(t)) !== JSON.stringify(rows.tables[t] ?? [])) return false;
        return true;
      },
      "REST rows to equal the document",
      10_000,
    );
    for (const t of tables) expect(await restRows(t)).toEqual(rows.tables[t] ?? []);
    const record = await getJson<Row>(`${server.url}/datasets/${DS}/records/${RECORD}`);
    expect(record.status).toBe("inProgress");

    for (const cl of [a, b, c]) cl.destroy();
  });

  it("a REST write lands in the open document and a live edit in the REST rows", async () => {
    const a = liveClient(server, RECORD, "dave");
    await a.synced();
    const res = await fetch(`${server.url}/datasets/${DS}/entities`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "rest-ent", record_id: RECORD, category: "sign" }),
    });
    expect(res.status).toBe(201);
    await waitFor(
      () => readRows(a.doc, "entities").some((e) => e.id === "rest-ent"),
      "REST entity in the live document",
    );
    const bad = await fetch(`${server.url}/datasets/${DS}/bboxes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "rest-bb",
        record_id: RECORD,
        entity_id: "ghost",
        coords: [0.1, 0.1, 0.1, 0.1],
        format: "xywh",
        is_normalized: true,
      }),
    });
    expect(bad.status).toBe(400);
    expect(readRows(a.doc, "bboxes").some((r) => r.id === "rest-bb")).toBe(false);
    const ctx = await contextOf(a, "d");
    relabel(ctx, clientOrigin("d"), "rest-ent", "stop-sign");
    await waitFor(
      async () => (await getJson<Row>(`${server.url}/datasets/${DS}/entities/rest-ent`)).category === "stop-sign",
      "live relabel in REST rows",
    );
    a.destroy();
  });

  it("Y.Doc state of a client matches a fresh join after edits (late joiner from memory)", async () => {
    const a = liveClient(server, RECORD, "erin");
    await a.synced();
    const late = liveClient(server, RECORD, "frank");
    await late.synced();
    expect(rowsOfDoc(late.doc)).toEqual(rowsOfDoc(a.doc));
    expect(Y.encodeStateVector(late.doc).length).toBeGreaterThan(1);
    a.destroy();
    late.destroy();
  });
});
