import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import { contentFrameKind, SyncTracker, syncLabel } from "../../src/sync/SyncTracker.js";

function connectedTracker(): SyncTracker {
  const t = new SyncTracker();
  t.connectionOpened();
  t.welcome(false);
  return t;
}

describe("SyncTracker", () => {
  it("starts connecting, then says Saved once the record is loaded", () => {
    const t = new SyncTracker();
    expect(t.status().phase).toBe("connecting");
    t.connectionOpened();
    expect(t.status().phase).toBe("connecting");
    t.welcome(false);
    expect(t.status()).toEqual({ phase: "saved", pending: 0 });
    expect(syncLabel(t.status())).toBe("Saved");
  });

  it("is Saving… from a local edit until the frame carrying it is confirmed", () => {
    const t = connectedTracker();
    t.frameSent("update");
    t.localEdit();
    expect(t.status()).toEqual({ phase: "saving", pending: 1 });
    t.frameSent("update");
    t.localEdit();
    expect(t.status().pending).toBe(2);
    t.confirmed(1);
    expect(t.status()).toEqual({ phase: "saving", pending: 1 });
    t.confirmed(2);
    expect(t.status()).toEqual({ phase: "saved", pending: 0 });
  });

  it("counts the server's step-1 answer (an empty step 2) without changing pending edits", () => {
    const t = connectedTracker();
    t.frameSent("step2");
    expect(t.status().phase).toBe("saved");
    t.frameSent("update");
    t.localEdit();
    t.confirmed(1);
    expect(t.status().pending).toBe(1);
    t.confirmed(2);
    expect(t.status().pending).toBe(0);
  });

  it("queues edits offline and clears them when the reconnect's step 2 is confirmed", () => {
    const t = connectedTracker();
    t.frameSent("update");
    t.localEdit();
    t.connectionClosed();
    expect(syncLabel(t.status())).toBe("Offline, 1 change queued");
    t.localEdit();
    t.localEdit();
    expect(t.status()).toEqual({ phase: "offline", pending: 3 });
    expect(syncLabel(t.status())).toBe("Offline, 3 changes queued");
    expect(t.hasUnsavedEdits()).toBe(true);
    // A new connection counts from zero; its step 2 carries all three edits.
    t.connectionOpened();
    t.welcome(false);
    t.frameSent("step2");
    expect(t.status()).toEqual({ phase: "saving", pending: 3 });
    t.confirmed(1);
    expect(t.status()).toEqual({ phase: "saved", pending: 0 });
    expect(t.hasUnsavedEdits()).toBe(false);
  });

  it("a step 2 does not count edits already in flight twice", () => {
    const t = connectedTracker();
    t.frameSent("update");
    t.localEdit();
    t.frameSent("step2"); // a resync while the update is unconfirmed: nothing new in it
    t.confirmed(1);
    expect(t.status().pending).toBe(0);
    t.confirmed(2);
    expect(t.status().pending).toBe(0);
  });

  it("is read-only (no pending, no Saving…) when the server says so", () => {
    const t = new SyncTracker();
    t.connectionOpened();
    t.welcome(true);
    t.frameSent("step2");
    t.localEdit();
    expect(t.status()).toEqual({ phase: "readOnly", pending: 0 });
    expect(syncLabel(t.status())).toBe("Read-only");
  });

  it("notifies subscribers of every change", () => {
    const t = new SyncTracker();
    const seen: string[] = [];
    const stop = t.subscribe((s) => seen.push(s.phase));
    t.connectionOpened();
    t.welcome(false);
    t.frameSent("update");
    t.localEdit();
    t.confirmed(1);
    stop();
    t.connectionClosed();
    expect(seen).toEqual(["connecting", "saved", "saved", "saving", "saved"]);
  });
});

describe("contentFrameKind", () => {
  it("recognises the frames y-websocket sends", () => {
    const doc = new Y.Doc();
    doc.getMap("m").set("a", 1);
    const step1 = encoding.createEncoder();
    encoding.writeVarUint(step1, 0);
    syncProtocol.writeSyncStep1(step1, doc);
    const step2 = encoding.createEncoder();
    encoding.writeVarUint(step2, 0);
    syncProtocol.writeSyncStep2(step2, doc);
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, 0);
    syncProtocol.writeUpdate(update, Y.encodeStateAsUpdate(doc));
    expect(contentFrameKind(encoding.toUint8Array(step1))).toBeNull();
    expect(contentFrameKind(encoding.toUint8Array(step2))).toBe("step2");
    expect(contentFrameKind(encoding.toUint8Array(update))).toBe("update");
    expect(contentFrameKind(new Uint8Array([1, 0]))).toBeNull();
  });
});
