import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { readRows, writeRowCells } from "@tessera/shared-crdt";
import { nowMs, pollUntil } from "../clock.js";

/** A legitimate pair of editors on one record, measuring what a person sees while the server is under load. */
export interface EditorPair {
  /** Adds an entity on the writer and resolves, in ms, once the reader's document holds it. */
  roundTrip(): Promise<number>;
  destroy(): void;
}

/**
 * Two stock `y-websocket` clients on `recordId` of the sync endpoint `syncBase`
 * (`ws://host/sync/<dataset>`), synced before it resolves; `params` go on both connections' query
 * (e.g. the role in single-user mode), each with its own name.
 */
export async function editorPair(
  syncBase: string,
  recordId: string,
  params: Readonly<Record<string, string>> = {},
): Promise<EditorPair> {
  const opts = { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true };
  const wDoc = new Y.Doc();
  const rDoc = new Y.Doc();
  const writer = new WebsocketProvider(syncBase, recordId, wDoc, { ...opts, params: { ...params, name: "writer" } });
  const reader = new WebsocketProvider(syncBase, recordId, rDoc, { ...opts, params: { ...params, name: "reader" } });
  const destroy = () => {
    writer.destroy();
    reader.destroy();
    wDoc.destroy();
    rDoc.destroy();
  };
  if (!(await pollUntil(() => writer.synced && reader.synced, 30_000))) {
    destroy();
    throw new Error("the legitimate editors did not sync");
  }
  let n = 0;
  return {
    async roundTrip() {
      const id = `edit-${Date.now()}-${n++}`;
      const t0 = nowMs();
      wDoc.transact(() => writeRowCells(wDoc, "entities", { id, record_id: recordId, parent_id: "", category: "car" }));
      if (!(await pollUntil(() => readRows(rDoc, "entities").some((r) => r.id === id), 30_000, 2)))
        throw new Error(`edit ${id} not seen`);
      return nowMs() - t0;
    },
    destroy,
  };
}
