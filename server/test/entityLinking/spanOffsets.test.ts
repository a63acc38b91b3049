import { readFileSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as decoding from "lib0/decoding";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { Library } from "@tessera/dataset";
import {
  clientOrigin,
  createSpan,
  datasetSchemaOf,
  MessageType,
  parseDatasetInfo,
  spanRanges,
  mentionOf,
  type DocContext,
  type TesseraMessage,
} from "@tessera/shared-crdt";
import { countLocalUpdates, getJson, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";

/**
 * Text-span offsets against Pixano 0.8.0 (SPEC S-SPANS-UNIT), on the library Pixano built over
 * emoji, combining marks and CJK (fixtures/pixano-built/text-offsets): Tessera serves Pixano's
 * spans at the right characters, and the spans a person makes in Tessera (a stock y-websocket
 * client editing the record on a real server process, persisted to LanceDB) have exactly the
 * columns Pixano wrote for the same selections. Python is not needed: Pixano's answers are the
 * committed `reference/expectations.json`.
 */
const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../fixtures/pixano-built/text-offsets",
);

interface Expected {
  texts: { record_id: string; view_id: string; content: string }[];
  spans: {
    id: string;
    record_id: string;
    entity_id: string;
    view_id: string;
    mention: string;
    spans_start: number[];
    spans_end: number[];
    pieces: { piece: string; utf16: [number, number] }[];
  }[];
}
const expected = JSON.parse(readFileSync(path.join(FIXTURE, "reference", "expectations.json"), "utf8")) as Expected;
const DATASET = (
  JSON.parse(readFileSync(path.join(FIXTURE, "library", "mel_unicode", "info.json"), "utf8")) as { id: string }
).id;

interface SpanRow {
  id: string;
  record_id: string;
  entity_id: string;
  view_id: string;
  mention: string;
  spans_start: number[];
  spans_end: number[];
  source_type: string;
}

let root: string;
let dataDir: string;
let server: ServerProcess;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-el-"));
  dataDir = path.join(root, "data");
  await cp(path.join(FIXTURE, "library"), path.join(dataDir, "library"), { recursive: true });
  server = await spawnServer(dataDir);
});

afterAll(async () => {
  if (server?.alive()) await server.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

async function spansOf(recordId: string): Promise<SpanRow[]> {
  const page = await getJson<{ items: SpanRow[] }>(
    `${server.url}/datasets/${DATASET}/text-spans?record_id=${encodeURIComponent(recordId)}&limit=1000`,
  );
  return page.items;
}

/** A stock y-websocket client on one record, counting the frames the server confirmed durable. */
function connect(recordId: string) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${server.wsUrl}/sync/${DATASET}`, recordId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { name: "el-test", tessera: "1" },
    disableBc: true,
  });
  let confirmed = 0;
  const rejected: TesseraMessage[] = [];
  provider.messageHandlers[MessageType.tessera] = (_encoder, d) => {
    const msg = JSON.parse(decoding.readVarString(d)) as TesseraMessage;
    if (msg.kind === "confirmed") confirmed = Math.max(confirmed, msg.count);
    if (msg.kind === "rejected") rejected.push(msg);
  };
  const sent = countLocalUpdates(doc);
  return {
    doc,
    rejected,
    synced: () => waitFor(() => provider.synced, "synced"),
    durable: () => waitFor(() => confirmed >= sent(), "the server's confirmation of every edit", 20_000),
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

describe("text-span offsets are Pixano's, read and written (SPEC S-SPANS-UNIT)", () => {
  it("serves the spans Pixano wrote over emoji, combining marks and CJK at the right characters", async () => {
    for (const t of expected.texts) {
      const texts = await getJson<{ items: { id: string; content: string }[] }>(
        `${server.url}/datasets/${DATASET}/records/${t.record_id}/texts`,
      );
      const served = texts.items.find((x) => x.id === t.view_id);
      // The content comes back unchanged (no normalisation of combining marks).
      expect(served?.content).toBe(t.content);
      const rows = await spansOf(t.record_id);
      for (const s of expected.spans.filter((x) => x.record_id === t.record_id)) {
        const row = rows.find((r) => r.id === s.id);
        expect(row).toMatchObject({ spans_start: s.spans_start, spans_end: s.spans_end, mention: s.mention });
        const ranges = spanRanges(t.content, row?.spans_start ?? [], row?.spans_end ?? []);
        expect(ranges.map((r) => t.content.slice(r.start, r.end))).toEqual(s.pieces.map((p) => p.piece));
        expect(mentionOf(t.content, ranges)).toBe(s.mention);
      }
    }
  });

  it("spans made in Tessera from the same selections are persisted with the columns Pixano wrote", async () => {
    const info = await getJson<Record<string, unknown>>(`${server.url}/datasets/${DATASET}/info`);
    const schema = datasetSchemaOf(parseDatasetInfo(info));
    const made = new Map<string, Expected["spans"][number]>();
    for (const t of expected.texts) {
      const client = connect(t.record_id);
      await client.synced();
      let n = 0;
      const ctx: DocContext = {
        doc: client.doc,
        schema,
        recordId: t.record_id,
        newId: () => `el-${t.record_id}-${++n}`,
      };
      for (const s of expected.spans.filter((x) => x.record_id === t.record_id)) {
        // The selection as a browser gives it: each piece in UTF-16 indices, last piece first.
        const selection = s.pieces.map((p) => ({ start: p.utf16[0], end: p.utf16[1] })).reverse();
        const { spanId } = createSpan(
          ctx,
          clientOrigin("el-test"),
          { viewId: t.view_id, text: t.content, selection },
          { entityId: s.entity_id },
        );
        made.set(spanId, s);
      }
      await client.durable();
      expect(client.rejected).toEqual([]);
      client.destroy();
    }
    expect(made.size).toBe(expected.spans.length);

    // Served back by REST…
    for (const t of expected.texts) {
      for (const row of (await spansOf(t.record_id)).filter((r) => made.has(r.id))) {
        const pixano = made.get(row.id);
        expect(row).toMatchObject({
          record_id: pixano?.record_id,
          entity_id: pixano?.entity_id,
          view_id: pixano?.view_id,
          mention: pixano?.mention,
          spans_start: pixano?.spans_start,
          spans_end: pixano?.spans_end,
          source_type: "human",
        });
      }
    }

    // …and in the Lance table, after the server stopped, next to Pixano's rows.
    await server.stop();
    const library = new Library(dataDir);
    try {
      const summary = (await library.scan()).find((s) => s.id === DATASET);
      if (!summary) throw new Error("the dataset is gone");
      const ds = await library.open(summary.id);
      const rows = (await ds.query("text_spans")).items as unknown as SpanRow[];
      for (const [spanId, pixano] of made) {
        const ours = rows.find((r) => r.id === spanId);
        const theirs = rows.find((r) => r.id === pixano.id);
        const columns = (r: SpanRow | undefined) =>
          r && {
            record_id: r.record_id,
            entity_id: r.entity_id,
            view_id: r.view_id,
            mention: r.mention,
            spans_start: [...r.spans_start].map(Number),
            spans_end: [...r.spans_end].map(Number),
          };
        expect(columns(ours)).toEqual(columns(theirs));
        expect(columns(ours)).toBeDefined();
      }
    } finally {
      await library.close();
    }
  });
});
