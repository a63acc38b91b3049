import { describe, expect, it } from "vitest";
import { SegmentSession, type SegmentBackend, type SegmentPrompt } from "../../src/canvas/segmentSession.js";
import type { ShapeRef } from "../../src/tools/types.js";

/**
 * The canvas's click-to-segment session on video frames: a draft is tied to its tile and frame, so
 * a click on another frame starts a new draft instead of refining the previous frame's one, and a
 * discarded draft that made its own track names that track so it goes too.
 */
function prompt(frame: number | null, trackletId: string | null = null): SegmentPrompt {
  return {
    type: "segment",
    viewId: "tile",
    points: [[10, 10]],
    labels: [1],
    box: null,
    ...(frame === null
      ? {}
      : {
          onFrame: {
            frame: { index: frame, id: "vid", timestamp: frame / 24, frameId: "" },
            trackViewId: "vid",
            trackletId,
          },
        }),
  };
}

function session() {
  const calls: Array<{ frame: number | null; draftId: string | null }> = [];
  const discarded: Array<{ ref: ShapeRef; newTrack: string | null }> = [];
  const refusals: string[] = [];
  let n = 0;
  const backend: SegmentBackend = {
    draft(p, draftId) {
      calls.push({ frame: p.onFrame?.frame.index ?? null, draftId });
      if (draftId !== null) return Promise.resolve({ maskId: draftId });
      n++;
      return Promise.resolve(
        p.onFrame && p.onFrame.trackletId === null ? { maskId: `m${n}`, newTrack: `t${n}` } : { maskId: `m${n}` },
      );
    },
  };
  let settled: () => void = () => undefined;
  const idle = () => new Promise<void>((resolve) => (settled = resolve));
  const s = new SegmentSession(backend, {
    select: () => settled(),
    accept: () => settled(),
    discard: (ref, newTrack) => {
      discarded.push({ ref, newTrack });
      settled();
    },
    refused: (reason) => {
      refusals.push(reason);
      settled();
    },
  });
  return { s, calls, discarded, idle, refusals };
}

describe("segment session on video frames", () => {
  it("a click on another frame starts a new draft instead of refining the previous frame's draft", async () => {
    const { s, calls, idle, refusals } = session();
    let done = idle();
    s.prompt(prompt(3));
    await done;
    done = idle();
    s.prompt(prompt(3));
    await done;
    done = idle();
    s.prompt(prompt(4));
    await done;
    expect(calls).toEqual([
      { frame: 3, draftId: null },
      { frame: 3, draftId: "m1" },
      { frame: 4, draftId: null },
    ]);
    expect(refusals).toEqual([]);
  });

  it("discarding a draft that made its own track names the track; a draft on the selected track does not", async () => {
    const { s, discarded, idle } = session();
    let done = idle();
    s.prompt(prompt(2));
    await done;
    done = idle();
    s.prompt(prompt(2));
    await done;
    done = idle();
    s.done("discard");
    await done;
    done = idle();
    s.prompt(prompt(5, "t-selected"));
    await done;
    done = idle();
    s.done("discard");
    await done;
    expect(discarded).toEqual([
      { ref: { table: "masks", id: "m1" }, newTrack: "t1" },
      { ref: { table: "masks", id: "m2" }, newTrack: null },
    ]);
  });
});
