import { describe, expect, it } from "vitest";
import { fpsOf, FrameList } from "../../src/workspaces/video/frames.js";
import { MultipartError, parseFrameBatch } from "../../src/workspaces/video/multipart.js";
import { readLanes } from "../../src/workspaces/video/lanes.js";
import * as Y from "yjs";
import { addKeyframe, clientOrigin, createTrack, datasetSchemaOf, parseDatasetInfo } from "@tessera/shared-crdt";

/** A body as the frame batch route writes it (Pixano's `iter_multipart_frames`). */
function body(parts: Array<{ index: number; bytes: Uint8Array }>): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    chunks.push(
      enc.encode(
        `--frame_boundary\r\nContent-Type: image/png\r\nContent-Length: ${p.bytes.length}\r\nX-Frame-Index: ${p.index}\r\n\r\n`,
      ),
    );
    chunks.push(p.bytes, enc.encode("\r\n"));
  }
  chunks.push(enc.encode("--frame_boundary--\r\n"));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe("video workspace pieces", () => {
  it("reads the frame batch by Content-Length, even when a frame's bytes contain the boundary", () => {
    const tricky = new TextEncoder().encode("\r\n--frame_boundary\r\nnot a part");
    const parts = parseFrameBatch(
      body([
        { index: 4, bytes: new Uint8Array([1, 2, 3]) },
        { index: 5, bytes: tricky },
      ]),
    );
    expect(parts.map((p) => [p.frameIndex, p.contentType, [...p.bytes]])).toEqual([
      [4, "image/png", [1, 2, 3]],
      [5, "image/png", [...tricky]],
    ]);
    const cut = body([{ index: 1, bytes: new Uint8Array(10) }]).slice(0, 60);
    expect(() => parseFrameBatch(cut)).toThrow(MultipartError);
  });

  it("reads the frame rate from timestamps in seconds (0.8) or milliseconds (0.7), 24 when they say nothing", () => {
    const frames = (step: number) =>
      Array.from({ length: 5 }, (_, i) => ({ id: `f${i}`, logicalName: "v", index: i, timestamp: i * step }));
    expect(fpsOf(frames(0.1))).toBe(10);
    expect(fpsOf(frames(1000 / 25))).toBe(25);
    expect(fpsOf(frames(0))).toBe(24);
  });

  it("finds frames by view and index, and counts the longest view", () => {
    const list = new FrameList([
      { id: "b1", logicalName: "b", index: 1, timestamp: 0.1, src: "" },
      { id: "a0", logicalName: "a", index: 0, timestamp: 0, src: "" },
      { id: "a2", logicalName: "a", index: 2, timestamp: 0.2, src: "" },
    ]);
    expect(list.count).toBe(3);
    expect(list.at("a", 2)?.id).toBe("a2");
    expect(list.at("a", 1)).toBeUndefined();
    expect(list.byId("b1")?.logicalName).toBe("b");
  });

  it("gives one lane per entity with its tracks and sorted keyframes", () => {
    const plain = (base: string) => ({ base, fields: {} });
    const schema = datasetSchemaOf(
      parseDatasetInfo({
        id: "v",
        name: "v",
        workspace: "video",
        record: plain("Record"),
        entity: plain("Entity"),
        bbox: plain("BBox"),
        tracklet: plain("Tracklet"),
        views: { image: plain("SequenceFrame") },
      }),
    );
    let n = 0;
    const ctx = { doc: new Y.Doc(), schema, recordId: "r", newId: () => `id${++n}` };
    const me = clientOrigin("me");
    const box = { coords: [0.1, 0.1, 0.2, 0.2] };
    const t = createTrack(ctx, me, {
      viewId: "f0",
      frame: { index: 7, id: "f7", timestamp: 0.7 },
      table: "bboxes",
      fields: box,
    });
    addKeyframe(ctx, me, { trackletId: t.trackletId, table: "bboxes", frameIndex: 3, frameId: "f3", fields: box });
    const lanes = readLanes(ctx.doc, new Set(schema.tables.keys()));
    expect(lanes).toEqual([
      { entityId: t.entityId, tracks: [{ id: t.trackletId, start: 3, end: 7, keyframes: [3, 7] }], loose: [] },
    ]);
  });
});
