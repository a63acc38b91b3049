import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import WebSocket from "ws";
import { io, type Socket } from "socket.io-client";
import { LIVE_NAMESPACE, withCustom, writeRow, type StatusChange } from "@tessera/shared-crdt";
import { startCollaboration, type Collaboration } from "../../src/collaboration.js";
import { createLibraryAdapter } from "../../src/library/datasetLibrary.js";
import type { LibraryPort } from "../../src/library/port.js";
import { silentLogger } from "../../src/logger.js";
import type { RoomEventName, RoomEvents } from "../../src/sync/roomEvents.js";
import { ManualClock } from "./support/ManualClock.js";
import { buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";

/**
 * The composition root (`startCollaboration`) hands ONE clock to everything live: the rooms'
 * flush debounce and idle unload, the persister, the activity batches and the live hub's status
 * stamps. Here the test owns that clock: every one of those timers waits until the test moves
 * time, and every stamp reads the test's time. Nothing below waits on wall-clock time for them.
 */
const T0 = Date.parse("2026-03-01T10:00:00.000Z");
const DEBOUNCE_MS = 60_000;
const UNLOAD_MS = 30_000;
const ACTIVITY_IDLE_MS = 5_000; // ActivityLog's default batch idle time

let data: SyncTestData;
let clock: ManualClock;
let server: http.Server;
let collab: Collaboration;
let library: LibraryPort;
let url: string;
const touched: string[] = [];
const events: Array<{ name: RoomEventName; recordId: string }> = [];

/** The next room event `name` for `recordId` (or one already seen): resolves on the event itself. */
function roomEvent<K extends RoomEventName>(name: K, recordId: string, timeoutMs = 10_000): Promise<void> {
  if (events.some((e) => e.name === name && e.recordId === recordId)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} event for ${recordId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = collab.onRoom(name, (e: RoomEvents[K]) => {
      if (e.recordId !== recordId) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

beforeAll(async () => {
  data = await buildSyncDataDir();
  clock = new ManualClock();
  await clock.advance(T0); // no timer exists yet: only moves the epoch to a readable date
  const real = createLibraryAdapter(data.dataDir, { logger: silentLogger });
  // The real library; `touched` is how the composition root reports a flush to it.
  library = { ...real, touched: (id) => (touched.push(id), real.touched(id)) };
  server = http.createServer();
  collab = startCollaboration(server, {
    dataDir: data.dataDir,
    library,
    logger: silentLogger,
    persist: "in-process",
    clock,
    syncLimits: {
      flushDebounceMs: DEBOUNCE_MS,
      flushMaxWaitMs: 10 * DEBOUNCE_MS,
      idleUnloadMs: UNLOAD_MS,
      // Far beyond the times moved below: pings would need the peer's real-time pong between two advances.
      pingIntervalMs: 3_600_000,
      keepAliveMs: 3_600_000,
    },
  });
  for (const name of ["loaded", "flushed", "unloaded", "leave"] as const)
    collab.onRoom(name, (e) => events.push({ name, recordId: e.recordId }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await collab?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await library?.close();
  await data?.cleanup();
});

describe("one injected clock drives every live timer (composition root)", () => {
  it("the persist debounce, the room unload, activity batches and live status stamps all run on the shared manual clock", async () => {
    // A live-channel watcher: status changes reach it stamped by the shared clock.
    const live: Socket = io(`http://${url}${LIVE_NAMESPACE}`, {
      auth: { datasetId: DS, name: "rita", role: "reviewer" },
      transports: ["websocket"],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      live.once("connect", resolve);
      live.once("connect_error", reject);
    });
    const firstStatus = nextStatus(live);

    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`ws://${url}/sync/${DS}`, "r1", doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { name: "alice", role: "annotator" },
      disableBc: true,
    });
    try {
      await new Promise<void>((resolve) => provider.once("sync", () => resolve()));
      await roomEvent("loaded", "r1");
      doc.transact(() =>
        writeRow(doc, "entities", withCustom({ id: "clocked", record_id: "r1", parent_id: "" }, { category: "x" })),
      );

      // W1 (new → inProgress) reaches the live channel with the shared clock's time, not the wall clock's.
      const w1 = await firstStatus;
      expect(w1).toMatchObject({ recordId: "r1", to: "inProgress", at: new Date(T0).toISOString() });
      const activity = await collab.live.activity(DS, { recordId: "r1" });
      expect(activity.map((e) => [e.kind, e.at])).toEqual([["status", new Date(T0).toISOString()]]);

      // Activity batch: closes after its idle time on the shared clock, stamped when it opened.
      await clock.advance(ACTIVITY_IDLE_MS - 1);
      expect((await collab.live.activity(DS, { recordId: "r1" })).map((e) => e.kind)).toEqual(["status"]);
      await clock.advance(1);
      const batch = (await collab.live.activity(DS, { recordId: "r1" }))[0];
      expect(batch).toMatchObject({ kind: "edit", at: new Date(T0).toISOString(), tables: { entities: { added: 1 } } });

      // Persist debounce: nothing is flushed until the shared clock passes the debounce.
      await clock.advance(DEBOUNCE_MS - ACTIVITY_IDLE_MS - 1);
      expect(events.filter((e) => e.name === "flushed")).toEqual([]);
      const flushed = roomEvent("flushed", "r1");
      await clock.advance(1);
      await flushed;
      expect(touched).toContain(DS);
      const dataset = await library.open(DS);
      const rows = await dataset!.query("entities", { where: { record_id: "r1" } });
      expect(rows.items.map((r) => r.id).sort()).toEqual(["clocked", "ent-r1"]);

      // Room unload: the last client leaves; the room stays until the shared clock passes idleUnloadMs.
      const left = roomEvent("leave", "r1");
      provider.destroy();
      await left;
      await clock.advance(UNLOAD_MS - 1);
      expect(events.filter((e) => e.name === "unloaded")).toEqual([]);
      const unloaded = roomEvent("unloaded", "r1");
      await clock.advance(1);
      await unloaded;

      // An annotator's REST submit: its live stamp is the shared clock's "now", a minute and a half later.
      const submitted = nextStatus(live);
      await collab.docs.workflow(DS, "r1", "submit", { id: "u-ann", name: "ann", role: "annotator" }, "");
      expect(await submitted).toMatchObject({
        action: "submit",
        at: new Date(T0 + DEBOUNCE_MS + UNLOAD_MS).toISOString(),
      });
    } finally {
      provider.destroy();
      doc.destroy();
      live.disconnect();
    }
  });
});

function nextStatus(live: Socket): Promise<StatusChange> {
  return new Promise((resolve) => live.once("record:status", (s: StatusChange) => resolve(s)));
}
