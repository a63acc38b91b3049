import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import { contentFrameKind, SyncTracker, syncLabel } from "../../src/sync/SyncTracker.js";

function loadedTracker(): SyncTracker {
  const t = new SyncTracker();
  t.outboxRead([]);
  t.connectionOpened();
  t.welcome(false);
  t.synced();
  return t;
}

/** A local edit `id` sent in its own update frame (what the record session does). */
function edit(t: SyncTracker, id: string): void {
  t.queued([id]);
  t.frameSent([id]);
}

describe("SyncTracker", () => {
  it("is loading until the welcome, the document's first sync and the outbox arrived, then says Saved", () => {
    const t = new SyncTracker();
    expect(t.status().phase).toBe("loading");
    t.outboxRead([]);
    expect(syncLabel(t.status())).toBe("Loading…");
    t.connectionOpened();
    t.welcome(false);
    // Welcomed but the document has not arrived: not "Saved" yet.
    expect(t.status().phase).toBe("loading");
    expect(t.isLoaded()).toBe(false);
    t.synced();
    expect(t.status()).toEqual({ phase: "saved", pending: 0 });
    expect(t.isLoaded()).toBe(true);
    expect(syncLabel(t.status())).toBe("Saved");
  });

  it("is Saving… from a local edit until the frame carrying it is confirmed, and hands back the durable ids", () => {
    const t = loadedTracker();
    edit(t, "a");
    expect(t.status()).toEqual({ phase: "saving", pending: 1 });
    edit(t, "b");
    expect(t.status().pending).toBe(2);
    expect(t.confirmed(1)).toEqual(["a"]);
    expect(t.status()).toEqual({ phase: "saving", pending: 1 });
    expect(t.confirmed(2)).toEqual(["b"]);
    expect(t.status()).toEqual({ phase: "saved", pending: 0 });
  });

  it("counts an empty step 2 as a frame without changing pending edits", () => {
    const t = loadedTracker();
    t.frameSent([]);
    edit(t, "a");
    expect(t.confirmed(1)).toEqual([]);
    expect(t.status().pending).toBe(1);
    expect(t.confirmed(2)).toEqual(["a"]);
    expect(t.status().pending).toBe(0);
  });

  it("queues edits offline and clears them when the reconnect's step 2 carrying them is confirmed", () => {
    const t = loadedTracker();
    edit(t, "a");
    t.connectionClosed();
    expect(syncLabel(t.status())).toBe("Offline, 1 change queued");
    t.queued(["b"]);
    t.queued(["c"]);
    expect(t.status()).toEqual({ phase: "offline", pending: 3 });
    expect(syncLabel(t.status())).toBe("Offline, 3 changes queued");
    expect(t.hasUnsavedEdits()).toBe(true);
    // A new connection counts from zero; its step 2 carries all three edits.
    t.connectionOpened();
    t.welcome(false);
    t.frameSent(t.pendingIds());
    expect(t.status()).toEqual({ phase: "saving", pending: 3 });
    expect(t.confirmed(1).sort()).toEqual(["a", "b", "c"]);
    expect(t.status()).toEqual({ phase: "saved", pending: 0 });
    expect(t.hasUnsavedEdits()).toBe(false);
  });

  it("an edit confirmed by one frame is not removed twice by a later one", () => {
    const t = loadedTracker();
    edit(t, "a");
    t.frameSent(["a"]); // a resync carrying it again
    expect(t.confirmed(1)).toEqual(["a"]);
    expect(t.confirmed(2)).toEqual([]);
    expect(t.status().pending).toBe(0);
  });

  it("is not Saved before the outbox was read (edits of an earlier visit may be there)", () => {
    const t = new SyncTracker();
    t.connectionOpened();
    t.welcome(false);
    t.synced();
    expect(t.status().phase).toBe("loading");
    t.outboxRead(["x"]);
    expect(t.status()).toEqual({ phase: "saving", pending: 1 });
  });

  it("a record opened while the browser is offline says Offline, and Loading… once back online", () => {
    const t = new SyncTracker();
    t.network(false);
    expect(syncLabel(t.status())).toBe("Offline");
    t.network(true);
    expect(syncLabel(t.status())).toBe("Loading…");
  });

  it("counts queued edits of an earlier visit before any connection (offline, N changes queued)", () => {
    const t = new SyncTracker();
    t.queued(["x", "y"]);
    t.queued(["x"]);
    expect(syncLabel(t.status())).toBe("Offline, 2 changes queued");
  });

  it("is read-only when the server says so, without calling its queued edits saved", () => {
    const t = new SyncTracker();
    t.outboxRead(["a"]);
    t.connectionOpened();
    t.welcome(true);
    t.synced();
    expect(t.status()).toEqual({ phase: "readOnly", pending: 1 });
    expect(syncLabel(t.status())).toBe("Read-only, 1 change not accepted");
    expect(t.hasUnsavedEdits()).toBe(false);
    const v = loadedTracker();
    v.welcome(true);
    expect(syncLabel(v.status())).toBe("Read-only");
  });

  it("says Signed out (not Offline) with the queue kept when the sign-in ended, and resumes", () => {
    const t = loadedTracker();
    edit(t, "a");
    t.halt("signedOut");
    expect(t.status()).toEqual({ phase: "signedOut", pending: 1 });
    expect(syncLabel(t.status())).toBe("Signed out, 1 change queued");
    t.resume();
    t.connectionOpened();
    t.welcome(false);
    t.frameSent(t.pendingIds());
    expect(t.confirmed(1)).toEqual(["a"]);
    expect(t.status().phase).toBe("saved");
  });

  it("says No such record for an unknown record, for good", () => {
    const t = new SyncTracker();
    t.halt("missing");
    t.resume();
    expect(syncLabel(t.status())).toBe("No such record");
  });

  it("notifies subscribers of every change", () => {
    const t = new SyncTracker();
    t.outboxRead([]);
    const seen: string[] = [];
    const stop = t.subscribe((s) => seen.push(s.phase));
    t.connectionOpened();
    t.welcome(false);
    t.synced();
    edit(t, "a");
    t.confirmed(1);
    stop();
    t.connectionClosed();
    expect(seen).toEqual(["loading", "loading", "saved", "saving", "saved"]);
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
