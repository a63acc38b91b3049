import * as Y from "yjs";
import type * as decoding from "lib0/decoding";
import type * as encoding from "lib0/encoding";
import { WebsocketProvider } from "y-websocket";
import { clientOrigin, decodeTesseraMessage, FrameError, MessageType, randomId, type Origin, type TesseraMessage } from "@tessera/shared-crdt";
import { roleOn, type Identity } from "../session.js";
import { contentFrameKind, SyncTracker } from "./SyncTracker.js";

/**
 * One open record: its `Y.Doc` synced by the stock y-websocket provider
 * (`ws(s)://host/sync/<datasetId>`, room = recordId, `?name&role&tessera=1`), Tessera's type-100
 * messages (welcome, confirmed, rejected) and the {@link SyncTracker} fed from both. Every local
 * edit carries {@link RecordSession.origin}, which per-user undo tracks.
 */
export interface RecordSession {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly origin: Origin;
  readonly tracker: SyncTracker;
  /** Latest `welcome` (rights and status), null until the record is loaded. */
  welcome(): Extract<TesseraMessage, { kind: "welcome" }> | null;
  onMessage(fn: (msg: TesseraMessage) => void): () => void;
  destroy(): void;
}

export function syncUrl(location: Pick<Location, "protocol" | "host">, datasetId: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/sync/${encodeURIComponent(datasetId)}`;
}

type MessageHandler = (encoder: encoding.Encoder, decoder: decoding.Decoder, provider: WebsocketProvider, emitSynced: boolean, messageType: number) => void;

export function openRecordSession(datasetId: string, recordId: string, identity: Identity): RecordSession {
  const doc = new Y.Doc();
  const tracker = new SyncTracker();
  const origin = clientOrigin(randomId());
  const listeners = new Set<(msg: TesseraMessage) => void>();
  let lastWelcome: Extract<TesseraMessage, { kind: "welcome" }> | null = null;

  // The stock provider sends through `ws.send`; a subclass lets the tracker see each content frame.
  class CountingWebSocket extends WebSocket {
    override send(data: Parameters<WebSocket["send"]>[0]): void {
      super.send(data);
      if (data instanceof Uint8Array) {
        const kind = contentFrameKind(data);
        if (kind) tracker.frameSent(kind);
      }
    }
  }

  const provider = new WebsocketProvider(syncUrl(window.location, datasetId), encodeURIComponent(recordId), doc, {
    params: { name: identity.name, role: roleOn(identity, datasetId), tessera: "1" },
    WebSocketPolyfill: CountingWebSocket,
    disableBc: true,
    maxBackoffTime: 2500,
  });

  const handlers = provider.messageHandlers as unknown as MessageHandler[];
  handlers[MessageType.tessera] = (_encoder, decoder) => {
    let msg: TesseraMessage;
    try {
      msg = decodeTesseraMessage(decoder.arr);
    } catch (err) {
      // A malformed type-100 frame only affects the indicator; the document sync goes on.
      if (err instanceof FrameError || err instanceof SyntaxError) {
        console.warn("tessera: ignoring a malformed type-100 message", err);
        return;
      }
      throw err;
    }
    if (msg.kind === "welcome") {
      lastWelcome = msg;
      tracker.welcome(msg.readOnly);
    } else if (msg.kind === "confirmed") {
      tracker.confirmed(msg.count);
    }
    for (const fn of listeners) fn(msg);
  };

  provider.on("status", ({ status }) => {
    if (status === "connected") tracker.connectionOpened();
    else if (status === "disconnected") tracker.connectionClosed();
  });
  const onUpdate = (_update: Uint8Array, from: unknown) => {
    if (from !== provider) tracker.localEdit();
  };
  doc.on("update", onUpdate);
  // A dead network can leave a websocket looking open for half a minute: trust the browser's
  // offline signal at once (edits queue in the document), and reconnect as soon as it is back.
  const goOffline = () => provider.disconnect();
  const goOnline = () => provider.connect();
  window.addEventListener("offline", goOffline);
  window.addEventListener("online", goOnline);
  if (!navigator.onLine) provider.disconnect();

  return {
    doc,
    provider,
    origin,
    tracker,
    welcome: () => lastWelcome,
    onMessage(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    destroy() {
      window.removeEventListener("offline", goOffline);
      window.removeEventListener("online", goOnline);
      doc.off("update", onUpdate);
      listeners.clear();
      provider.awareness.setLocalState(null);
      provider.destroy();
      doc.destroy();
    },
  };
}
