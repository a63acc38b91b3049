import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { hasRow, writeRowCells } from "@tessera/shared-crdt";
import { nowMs, pollUntil } from "../clock.js";

/** A legitimate pair of editors on one record, measuring what a person sees while the server is under load. */
export interface EditorPair {
  /** Adds an entity on the writer and resolves, in ms, once the reader's document holds it. */
  roundTrip(): Promise<number>;
  /**
   * `count` round trips, one starting every `everyMs` (0: back to back, the worst case; a team of
   * people makes a few edits a second each), resolving with their latencies.
   */
  series(count: number, everyMs: number): Promise<number[]>;
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
  const pair: EditorPair = {
    async series(count, everyMs) {
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const start = nowMs();
        out.push(await pair.roundTrip());
        const left = start + everyMs - nowMs();
        if (left > 0) await new Promise<void>((resolve) => setTimeout(resolve, left));
      }
      return out;
    },
    async roundTrip() {
      const id = `edit-${Date.now()}-${n++}`;
      const t0 = nowMs();
      // The reader is told by its document's update event (no polling: a poll loop would load the
      // 2-core machine it measures, and add up to its interval to every figure).
      const seen = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), 30_000);
        const check = () => {
          if (hasRow(rDoc, "entities", id)) done(true);
        };
        const done = (ok: boolean) => {
          clearTimeout(timer);
          rDoc.off("update", check);
          resolve(ok);
        };
        rDoc.on("update", check);
      });
      wDoc.transact(() => writeRowCells(wDoc, "entities", { id, record_id: recordId, parent_id: "", category: "car" }));
      if (!(await seen)) throw new Error(`edit ${id} not seen`);
      return nowMs() - t0;
    },
    destroy,
  };
  return pair;
}
