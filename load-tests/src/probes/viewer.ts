import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { pollUntil } from "../clock.js";

/**
 * One stock `y-websocket` client with a record open (`ws://host/sync/<dataset>`, `recordId`),
 * synced before it resolves: the person who started a job on that record and watches it (the
 * record's room stays loaded while it is connected, as it does for a person in the UI).
 */
export async function viewer(syncBase: string, recordId: string, name = "viewer"): Promise<{ destroy(): void }> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(syncBase, recordId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    params: { name },
  });
  const destroy = () => {
    provider.destroy();
    doc.destroy();
  };
  if (!(await pollUntil(() => provider.synced, 30_000))) {
    destroy();
    throw new Error(`the viewer of ${recordId} did not sync`);
  }
  return { destroy };
}
