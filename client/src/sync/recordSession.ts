import * as Y from "yjs";
import type * as decoding from "lib0/decoding";
import type * as encoding from "lib0/encoding";
import { WebsocketProvider } from "y-websocket";
import {
  clientOrigin,
  CloseCode,
  decodeTesseraMessage,
  encodeSyncFrame,
  FrameError,
  MessageType,
  randomId,
  SyncType,
  type Origin,
  type TesseraMessage,
} from "@tessera/shared-crdt";
import { onSessionEnded, onSignedIn, roleOn, type Identity } from "../session.js";
import { toastError } from "../ui/toasts.js";
import { enqueue, forget, queuedEntries } from "./outbox.js";
import type { OutboxEntry, OutboxKey } from "./outboxStore.js";
import { probeRefusal } from "./probe.js";
import { contentFrameKind, SyncTracker, type Halt } from "./SyncTracker.js";

/**
 * One open record: its `Y.Doc` synced by the stock y-websocket provider
 * (`ws(s)://host/sync/<datasetId>`, room = recordId, `?name&role&tessera=1`), Tessera's type-100
 * messages (welcome, confirmed, rejected) and the {@link SyncTracker} fed from both. Every local
 * edit carries {@link RecordSession.origin}, which per-user undo tracks.
 *
 * Every local edit is also written to the durable outbox (outbox.ts) and removed from it once the
 * server confirmed it, so leaving the record, reloading or losing the tab loses nothing: the edits
 * of earlier visits found in the outbox are applied and sent once the document is loaded.
 *
 * A browser does not say why a websocket upgrade was refused, so when one fails without opening,
 * a REST probe asks: 401 (the sign-in ended) stops reconnecting until the next sign-in, 404 (no
 * such record) stops for good. Close codes 4401 and 4410 say the same on an open socket.
 */
export interface RecordSession {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly origin: Origin;
  readonly tracker: SyncTracker;
  /** Latest `welcome` (rights and status), null until the record is loaded. */
  welcome(): Extract<TesseraMessage, { kind: "welcome" }> | null;
  onMessage(fn: (msg: TesseraMessage) => void): () => void;
  /** Stops for good (e.g. the page found the record does not exist); queued edits stay in the outbox. */
  halt(reason: Halt): void;
  destroy(): void;
}

function syncUrl(location: Pick<Location, "protocol" | "host">, datasetId: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/sync/${encodeURIComponent(datasetId)}`;
}

type MessageHandler = (
  encoder: encoding.Encoder,
  decoder: decoding.Decoder,
  provider: WebsocketProvider,
  emitSynced: boolean,
  messageType: number,
) => void;

const openSessions = new Map<string, number>();
const sessionName = (k: OutboxKey) => JSON.stringify([k.user, k.dataset, k.record]);

/** True while a session (page or background flush) has this record open. */
export function isOpen(key: OutboxKey): boolean {
  return (openSessions.get(sessionName(key)) ?? 0) > 0;
}

export function openRecordSession(datasetId: string, recordId: string, identity: Identity): RecordSession {
  const doc = new Y.Doc();
  const tracker = new SyncTracker();
  const origin = clientOrigin(randomId());
  const key: OutboxKey = { user: identity.userId, dataset: datasetId, record: recordId };
  const listeners = new Set<(msg: TesseraMessage) => void>();
  let lastWelcome: Extract<TesseraMessage, { kind: "welcome" }> | null = null;
  let destroyed = false;
  let halted: Halt | null = null;
  /** Pending outbox ids whose content is in `doc` (a step 2 carries them). */
  const inDoc = new Set<string>();
  /** Entries of earlier visits, applied and sent once the document is loaded. */
  let earlier: OutboxEntry[] = [];
  /** The ids the next update frame carries (set just before the provider or we send one). */
  let nextFrameIds: string[] = [];
  let outboxFailed = false;

  // Registered before the provider's own handler, so the edit has its outbox id when the
  // provider sends the frame that carries it.
  const onLocalUpdate = (update: Uint8Array, from: unknown) => {
    if (from === provider || destroyed) return;
    const id = randomId();
    inDoc.add(id);
    nextFrameIds = [id];
    tracker.queued([id]);
    enqueue({ ...key, id, update, at: Date.now() }).catch((err: unknown) => {
      // The edit is still in the document and sent while the page lives; only a reload before it
      // is confirmed would lose it. Said once per session.
      console.error("tessera: cannot write an edit to the outbox", err);
      if (!outboxFailed) toastError(err, "Edits cannot be kept on this device until saved");
      outboxFailed = true;
    });
  };
  doc.on("update", onLocalUpdate);

  // The stock provider sends through `ws.send`; a subclass lets the tracker see each content frame.
  class CountingWebSocket extends WebSocket {
    override send(data: Parameters<WebSocket["send"]>[0]): void {
      super.send(data);
      if (data instanceof Uint8Array) {
        const kind = contentFrameKind(data);
        if (kind === "update") tracker.frameSent(nextFrameIds);
        else if (kind === "step2") tracker.frameSent([...inDoc]);
        if (kind === "update") nextFrameIds = [];
      }
    }
  }

  const provider = new WebsocketProvider(syncUrl(window.location, datasetId), encodeURIComponent(recordId), doc, {
    params: { name: identity.name, role: roleOn(identity, datasetId), tessera: "1" },
    WebSocketPolyfill: CountingWebSocket,
    disableBc: true,
    maxBackoffTime: 2500,
  });
  // After the provider's handler: an edit made while no socket is open is sent by the next step 2.
  const afterProvider = () => {
    nextFrameIds = [];
  };
  doc.on("update", afterProvider);
  const name = sessionName(key);
  openSessions.set(name, (openSessions.get(name) ?? 0) + 1);

  /** Applies the earlier visits' edits to the loaded document and sends each, once per session. */
  const replayEarlier = () => {
    if (!provider.synced || earlier.length === 0) return;
    const batch = earlier.filter((e) => !inDoc.has(e.id));
    earlier = [];
    for (const e of batch) {
      try {
        // As if received: the provider must not echo it, undo must not own it.
        Y.applyUpdate(doc, e.update, provider);
      } catch (err) {
        // A corrupt row cannot be sent either; it stays in the outbox for inspection.
        console.error("tessera: an outbox entry does not apply", e.id, err);
        continue;
      }
      inDoc.add(e.id);
      const ws = provider.ws;
      if (provider.wsconnected && ws && ws.readyState === WebSocket.OPEN) {
        nextFrameIds = [e.id];
        ws.send(Uint8Array.from(encodeSyncFrame(SyncType.update, e.update)));
      }
    }
  };
  queuedEntries(key).then(
    (entries) => {
      if (destroyed) return;
      earlier = entries.filter((e) => !inDoc.has(e.id));
      tracker.outboxRead(earlier.map((e) => e.id));
      replayEarlier();
    },
    (err: unknown) => {
      // Edits of earlier visits cannot be read (they stay stored); this visit's own are tracked.
      console.error("tessera: cannot read the outbox", err);
      tracker.outboxRead([]);
    },
  );

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
      welcomedHere = true;
      lastWelcome = msg;
      tracker.welcome(msg.readOnly);
    } else if (msg.kind === "confirmed") {
      const durable = tracker.confirmed(msg.count);
      for (const id of durable) inDoc.delete(id);
      forget(durable).catch((err: unknown) =>
        console.error("tessera: cannot clear confirmed edits from the outbox", err),
      );
    }
    for (const fn of listeners) fn(msg);
  };

  const halt = (reason: Halt) => {
    if (destroyed || halted === "missing") return;
    halted = reason;
    provider.disconnect();
    tracker.halt(reason);
  };
  const resume = () => {
    if (destroyed || halted !== "signedOut") return;
    halted = null;
    tracker.resume();
    if (navigator.onLine) provider.connect();
  };

  /** The current connection got its `welcome` (it was admitted, not refused). */
  let welcomedHere = false;
  provider.on("status", ({ status }) => {
    if (status === "connected") tracker.connectionOpened();
    else if (status === "disconnected") tracker.connectionClosed();
  });
  provider.on("sync", (synced) => {
    if (!synced) return;
    tracker.synced();
    replayEarlier();
  });
  let probing = false;
  provider.on("connection-close", (event) => {
    if (event?.code === CloseCode.unauthorized) return halt("signedOut");
    if (event?.code === CloseCode.recordGone) return halt("missing");
    // Refused (at the upgrade, or by a proxy that opened then closed) while the network is up: ask why.
    const admitted = welcomedHere;
    welcomedHere = false;
    if (event === null || admitted || !navigator.onLine || probing) return;
    probing = true;
    probeRefusal(datasetId, recordId).then(
      (refusal) => {
        probing = false;
        if (refusal) halt(refusal);
      },
      (err: unknown) => {
        probing = false;
        console.error("tessera: cannot probe the sync refusal", err);
      },
    );
  });

  // A dead network can leave a websocket looking open for half a minute: trust the browser's
  // offline signal at once (edits queue in the outbox), and reconnect as soon as it is back.
  const goOffline = () => {
    tracker.network(false);
    provider.disconnect();
  };
  const goOnline = () => {
    tracker.network(true);
    if (!halted) provider.connect();
  };
  window.addEventListener("offline", goOffline);
  window.addEventListener("online", goOnline);
  if (!navigator.onLine) goOffline();
  const stopEnded = onSessionEnded(() => halt("signedOut"));
  const stopSignedIn = onSignedIn(resume);

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
    halt,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      const left = (openSessions.get(name) ?? 1) - 1;
      if (left <= 0) openSessions.delete(name);
      else openSessions.set(name, left);
      stopEnded();
      stopSignedIn();
      window.removeEventListener("offline", goOffline);
      window.removeEventListener("online", goOnline);
      doc.off("update", onLocalUpdate);
      doc.off("update", afterProvider);
      listeners.clear();
      provider.awareness.setLocalState(null);
      provider.destroy();
      doc.destroy();
    },
  };
}
