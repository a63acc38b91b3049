import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import * as decoding from "lib0/decoding";
import {
  clientOrigin,
  datasetSchemaOf,
  MessageType,
  parseDatasetInfo,
  readRow,
  updateRow,
  type DocContext,
} from "@tessera/shared-crdt";
import { Bot, REMOTE } from "../src/bots/Bot.js";
import { movedCoords, readStamp, stampMetadata } from "../src/bots/stamps.js";
import { nowMs } from "../src/clock.js";
import { createCollabDataset, type CollabDataset } from "../src/gen/collabDataset.js";
import type { BenchServer } from "../src/servers/process.js";
import { startStock } from "../src/servers/stock.js";
import { startTessera } from "../src/servers/tessera.js";

/**
 * The harness's raw-protocol bot against the stock y-websocket 3.1 `WebsocketProvider`, on both
 * servers: a bot's edit and awareness reach a real provider, a provider's edit reaches a bot, and
 * on Tessera the bot reads the durable confirmations. If this fails, no benchmark figure holds.
 */
const RECORD = "rec-0";

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function provider(server: BenchServer, doc: Y.Doc, tessera: boolean): WebsocketProvider {
  const p = new WebsocketProvider(`${server.wsUrl}/sync/bench`, RECORD, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { name: "provider", ...(tessera ? { tessera: "1" } : {}) },
    disableBc: true,
  });
  p.messageHandlers[MessageType.tessera] = (_e, d) => {
    decoding.readVarString(d);
  };
  return p;
}

let data: CollabDataset;

beforeAll(async () => {
  data = await createCollabDataset({ label: "bots-test", records: [{ id: RECORD, boxes: 2 }] });
});

afterAll(async () => {
  await data?.cleanup();
});

describe.each([["tessera"], ["stock"]] as const)("bots against real providers on the %s server", (kind) => {
  let server: BenchServer;
  let seeder: Bot | null = null;

  beforeAll(async () => {
    server = kind === "tessera" ? await startTessera({ dataDir: data.dataDir }) : await startStock();
    if (kind === "stock") {
      // The stock server has no storage: a client uploads the record, as the benchmarks do.
      const doc = new Y.Doc();
      Y.applyUpdate(doc, await data.recordUpdate(RECORD), REMOTE);
      seeder = new Bot({ url: `${server.wsUrl}/sync/bench/${RECORD}`, remote: "all", doc });
      seeder.connect();
      expect(await seeder.whenSynced()).toBe(true);
    }
  });

  afterAll(async () => {
    seeder?.destroy();
    await server?.stop();
  });

  it("a bot's edit and awareness reach a provider; a provider's edit reaches the bot", async () => {
    const tessera = kind === "tessera";
    const pdoc = new Y.Doc();
    const p = provider(server, pdoc, tessera);
    const bot = new Bot({
      url: `${server.wsUrl}/sync/bench/${RECORD}?name=bot${tessera ? "&tessera=1" : ""}`,
      remote: "all",
    });
    try {
      await waitFor(
        () => p.synced && readRow(pdoc, "bboxes", `${RECORD}-b0000`) !== undefined,
        "the provider to sync the record",
      );
      bot.connect();
      expect(await bot.whenSynced()).toBe(true);
      expect(readRow(bot.doc, "bboxes", `${RECORD}-b0000`)).toBeDefined();

      const schema = datasetSchemaOf(parseDatasetInfo(data.info));
      const ctx = (doc: Y.Doc): DocContext => ({ doc, schema, recordId: RECORD, newId: () => "unused" });
      const t = nowMs();
      bot.edit(0, () =>
        updateRow(ctx(bot.doc), clientOrigin("bot"), "bboxes", `${RECORD}-b0000`, {
          coords: movedCoords(0, 0),
          source_metadata: stampMetadata({ t, c: 7, s: 0 }),
        }),
      );
      await waitFor(
        () => readStamp(readRow(pdoc, "bboxes", `${RECORD}-b0000`)?.source_metadata)?.c === 7,
        "the bot's edit at the provider",
      );
      expect(readRow(pdoc, "bboxes", `${RECORD}-b0000`)?.coords).toEqual(movedCoords(0, 0));
      if (tessera)
        await waitFor(
          () => bot.confirmedSeq === 0 && bot.acks.length === 1,
          "the durable confirmation of the bot's edit",
        );

      updateRow(ctx(pdoc), clientOrigin("provider"), "bboxes", `${RECORD}-b0001`, {
        coords: [0.5, 0.5, 0.1, 0.1],
        source_metadata: stampMetadata({ t: nowMs(), c: 9, s: 3 }),
      });
      await waitFor(
        () => readStamp(readRow(bot.doc, "bboxes", `${RECORD}-b0001`)?.source_metadata)?.s === 3,
        "the provider's edit at the bot",
      );
      expect(readRow(bot.doc, "bboxes", `${RECORD}-b0001`)?.coords).toEqual([0.5, 0.5, 0.1, 0.1]);

      bot.sendAwareness({ cursor: { x: 1, y: 2 }, t: 123.5, c: 7 });
      await waitFor(
        () => (p.awareness.getStates().get(bot.doc.clientID) as { t?: number } | undefined)?.t === 123.5,
        "the bot's awareness at the provider",
      );
      const before = bot.counters.awarenessIn;
      p.awareness.setLocalStateField("cursor", { x: 3, y: 4 });
      await waitFor(() => bot.counters.awarenessIn > before, "the provider's awareness at the bot");
    } finally {
      bot.destroy();
      p.destroy();
      pdoc.destroy();
    }
  });
});
