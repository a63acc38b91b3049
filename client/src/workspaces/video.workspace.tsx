import { createEffect, createMemo, createSignal, on, onCleanup, Show, untrack } from "solid-js";
import { readRow, type FrameRef } from "@tessera/shared-crdt";
import { VIDEO_FRAME_BATCH_MAX } from "@tessera/shared-crdt/api";
import type { KeyPress } from "../app/keymap.js";
import { toastError } from "../ui/toasts.js";
import type { WorkspaceContext } from "../pages/workspace/workspaceContext.js";
import type { WorkspaceModule, WorkspaceShortcut } from "./types.js";
import { FrameCache } from "./video/FrameCache.js";
import { listFrames, type FrameList } from "./video/frames.js";
import { readLanes, type Lane } from "./video/lanes.js";
import { createPlayback } from "./video/playback.js";
import { StatePanel, stateFields } from "./video/StatePanel.js";
import { createTrackAssist } from "./video/TrackAssist.js";
import { Timeline, type TrackAction } from "./video/Timeline.js";
import {
  extendToPlayhead,
  glue,
  keyframeHere,
  outsideHere,
  removeTrack,
  splitAtPlayhead,
  type TrackActionContext,
} from "./video/trackActions.js";
import "./video/video.css";

/**
 * The video workspace (Pixano `video`: frames in `sequence_frames`, or video files in `videos`
 * decoded by the server): the canvas in frame mode (one
 * frame of every view at a time, tracks interpolated between keyframes), the timeline dock
 * (transport, slider, one lane per entity), CVAT's keys, each person's frame in presence and
 * follow mode following the leader's frame.
 */

/** Awareness carries the frame at most this often while playing (the last one always goes out). */
/** A frame held this long is this person's place on the dataset's live channel. */
const LIVE_FRAME_SETTLE_MS = 1000;
const FRAME_PRESENCE_MS = 120;

const plain = (k: KeyPress) => !k.ctrl && !k.alt && !k.shift;

function open(ctx: WorkspaceContext) {
  const doc = ctx.session.doc;
  const [frames, setFrames] = createSignal<FrameList | null>(null);
  const [frame, setFrame] = createSignal(0);
  const [selected, setSelected] = createSignal<ReadonlySet<string>>(new Set());
  /** Why the server gives no frames (e.g. it has no ffmpeg for a video file): shown, not a blank canvas. */
  const [failure, setFailure] = createSignal<string | null>(null);
  let cache: FrameCache | null = null;
  const abort = new AbortController();
  onCleanup(() => {
    abort.abort();
    cache?.destroy();
  });
  listFrames(ctx.datasetId, ctx.recordId, new Set(ctx.meta.schema.tables.keys()), abort.signal).then(
    (list) => {
      if (abort.signal.aborted) return;
      // A video file's batch costs a seek to its keyframe plus the decode: 32 frames take little more
      // than 16 (load-tests/RESULTS.md: 429 vs 320 ms p50 on 720p), so files come in batches of 32.
      cache = new FrameCache(ctx.datasetId, ctx.recordId, list, list.hasFiles ? { batch: VIDEO_FRAME_BATCH_MAX } : {});
      cache.onFailure = (message) => {
        setFailure(message);
        toastError(new Error(message), "The video's frames cannot be shown");
      };
      setFrames(list);
    },
    (err: unknown) => {
      if (!abort.signal.aborted) toastError(err, "Cannot list the video's frames");
    },
  );
  const count = () => frames()?.count ?? 0;
  const fps = () => frames()?.fps ?? 24;

  // ── presence: this person's frame ──────────────────────────────────────────────────────────
  let sentAt = 0;
  let trailing = 0;
  const publish = (f: number) => {
    clearTimeout(trailing);
    const wait = sentAt + FRAME_PRESENCE_MS - performance.now();
    if (wait <= 0) {
      sentAt = performance.now();
      ctx.awareness.setLocalStateField("frame", f);
    } else trailing = window.setTimeout(() => publish(f), wait);
  };
  onCleanup(() => clearTimeout(trailing));
  // The dataset's live channel hears of the frame once it settles (it carries places, not playback).
  let settled = 0;
  createEffect(
    on(frame, (f) => {
      clearTimeout(settled);
      settled = window.setTimeout(() => ctx.setLivePresence({ frame: f }), LIVE_FRAME_SETTLE_MS);
    }),
  );
  onCleanup(() => {
    clearTimeout(settled);
    ctx.setLivePresence({ frame: null });
  });

  // ── the canvas in frame mode ───────────────────────────────────────────────────────────────
  let fromTimeline = false;
  createEffect(() => {
    const c = ctx.controller();
    const list = frames();
    const images = cache;
    if (!c || !list || !images) return;
    untrack(() => {
      c.enableFrames({ lookup: list, image: (f) => images.image(f) }, frame());
      images.setPlayhead(frame());
      publish(frame());
    });
    onCleanup(c.on("frame", (e) => setFrame(e.index)));
    const fromCanvas = () => {
      if (fromTimeline) return;
      const t = c.getTrack();
      setSelected(new Set(t ? [t] : []));
    };
    onCleanup(c.on("selection", fromCanvas));
    // The shell also selects without a canvas event (Esc, the object list): follow its selection too.
    createEffect(on(ctx.selection, fromCanvas, { defer: true }));
  });
  const seek = (target: number, byUser = true) => {
    const c = ctx.controller();
    const n = count();
    if (!c || n === 0 || !Number.isFinite(target)) return;
    const f = Math.max(0, Math.min(n - 1, Math.round(target)));
    if (byUser) ctx.userMovedView();
    if (f === c.getFrame()) return;
    c.setFrame(f);
    cache?.setPlayhead(f);
    publish(f);
  };
  const playback = createPlayback({
    count,
    fps,
    current: frame,
    ready: (f) => {
      const list = frames();
      return (
        !!list &&
        list.viewNames().every((v) => {
          const fr = list.at(v, f);
          return !fr || (cache?.has(fr) ?? false);
        })
      );
    },
    show: (f) => seek(f),
  });

  // ── follow mode: the leader's frame ────────────────────────────────────────────────────────
  createEffect(() => {
    const leaderId = ctx.followedUserId();
    if (leaderId === null || frames() === null) return;
    const leader =
      ctx.peers().find((p) => p.user.id === leaderId && p.state.recordId === ctx.recordId) ??
      ctx.peers().find((p) => p.user.id === leaderId);
    const lf = leader?.state.frame;
    if (typeof lf === "number" && lf !== untrack(frame)) seek(lf, false);
  });

  // ── lanes ──────────────────────────────────────────────────────────────────────────────────
  const tables = new Set(ctx.meta.schema.tables.keys());
  const [lanes, setLanes] = createSignal<readonly Lane[]>(readLanes(doc, tables));
  const [version, setVersion] = createSignal(0);
  let lanesRaf = 0;
  const onUpdate = () => {
    if (lanesRaf === 0)
      lanesRaf = requestAnimationFrame(() => {
        lanesRaf = 0;
        setLanes(readLanes(doc, tables));
        setVersion((v) => v + 1);
      });
  };
  doc.on("update", onUpdate);
  onCleanup(() => {
    doc.off("update", onUpdate);
    cancelAnimationFrame(lanesRaf);
  });
  const labels = createMemo(() => new Map(ctx.items().map((i) => [i.id, i.label])));
  const peerHeads = () => {
    const seen = new Set<string>();
    const out: Array<{ frame: number; color: string; name: string }> = [];
    for (const p of ctx.peers()) {
      const f = p.state.frame;
      if (p.state.recordId !== ctx.recordId || typeof f !== "number" || seen.has(p.user.id)) continue;
      seen.add(p.user.id);
      out.push({ frame: f, color: p.user.color, name: p.user.name });
    }
    return out;
  };

  // ── track operations ───────────────────────────────────────────────────────────────────────
  const actionCtx: TrackActionContext = {
    docCtx: ctx.docCtx,
    origin: ctx.origin,
    frameOf: (trackletId, index = frame()): FrameRef | null => {
      const list = frames();
      if (!list) return null;
      const t = readRow(doc, "tracklets", trackletId);
      const view = (t && list.byId(t.view_id)?.logicalName) ?? list.viewNames()[0];
      const f = view === undefined ? undefined : list.at(view, index);
      if (!f) return null;
      const ref = { index: f.index, id: f.id, timestamp: f.timestamp };
      return f.frameId === undefined ? ref : { ...ref, frameId: f.frameId };
    },
  };
  const selectTrack = (id: string | null, additive: boolean) => {
    const next = new Set(additive ? selected() : []);
    if (id !== null && additive && next.has(id)) next.delete(id);
    else if (id !== null) next.add(id);
    setSelected(next);
    fromTimeline = true;
    try {
      ctx.controller()?.selectTrack(id !== null && next.has(id) ? id : null);
    } finally {
      fromTimeline = false;
    }
  };
  const only = () => (selected().size === 1 ? ([...selected()][0] ?? null) : null);
  const act = (a: TrackAction): boolean => {
    if (!ctx.editable()) return false;
    const t = only();
    ctx.undo.stopCapturing();
    let done = false;
    switch (a) {
      case "glue": {
        const [x, y] = [...selected()];
        done = x !== undefined && y !== undefined && glue(actionCtx, x, y);
        if (done && x !== undefined) selectTrack(x, false);
        break;
      }
      case "keyframe":
        done = t !== null && keyframeHere(actionCtx, t);
        break;
      case "split":
        done = t !== null && splitAtPlayhead(actionCtx, t);
        break;
      case "extend":
        done = t !== null && extendToPlayhead(actionCtx, t);
        break;
      case "outside":
        done = t !== null && outsideHere(actionCtx, t);
        break;
      case "delete":
        done = t !== null && removeTrack(actionCtx, t);
        if (done) selectTrack(null, false);
        break;
    }
    ctx.undo.stopCapturing();
    return done;
  };

  const assist = createTrackAssist({
    datasetId: ctx.datasetId,
    recordId: ctx.recordId,
    track: only,
    frame,
    editable: ctx.editable,
  });

  // ── keys (CVAT's where they exist) ─────────────────────────────────────────────────────────
  let pointerDown = false;
  let spaceRepeat = false;
  const onPointer = (e: PointerEvent) => (pointerDown = e.type === "pointerdown" && e.buttons !== 0);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === " ") spaceRepeat = e.repeat;
  };
  window.addEventListener("pointerdown", onPointer, true);
  window.addEventListener("pointerup", onPointer, true);
  window.addEventListener("keydown", onKey, true);
  onCleanup(() => {
    window.removeEventListener("pointerdown", onPointer, true);
    window.removeEventListener("pointerup", onPointer, true);
    window.removeEventListener("keydown", onKey, true);
  });
  /** Which of Home / End matched (the shortcut's `run` takes no key). */
  let edge = "Home";
  const step = (d: number) => {
    playback.pause();
    seek(frame() + d);
    return true;
  };
  const shortcuts: WorkspaceShortcut[] = [
    {
      keys: "F · →",
      action: "Next frame",
      matches: (k) => plain(k) && (k.key === "f" || k.key === "ArrowRight"),
      run: () => step(1),
    },
    {
      keys: "D · ←",
      action: "Previous frame",
      matches: (k) => plain(k) && (k.key === "d" || k.key === "ArrowLeft"),
      run: () => step(-1),
    },
    {
      keys: "Space",
      action: "Play / pause (held while dragging: pan)",
      matches: (k) => plain(k) && k.key === " ",
      // While a drag is on, Space is the canvas's pan-hold; a held key repeats without toggling.
      run: () => {
        if (pointerDown) return false;
        if (!spaceRepeat) playback.toggle();
        return true;
      },
    },
    {
      keys: "Home · End",
      action: "First / last frame",
      matches: (k) => {
        const hit = plain(k) && (k.key === "Home" || k.key === "End");
        if (hit) edge = k.key;
        return hit;
      },
      run: () => {
        playback.pause();
        seek(edge === "End" ? count() - 1 : 0);
        return true;
      },
    },
    {
      keys: "K",
      action: "Keyframe: store the selected track's shape on this frame",
      matches: (k) => plain(k) && k.key === "k",
      edits: true,
      run: () => only() !== null && act("keyframe"),
    },
    {
      keys: "O",
      action: "Outside: the selected track ends on this frame",
      matches: (k) => plain(k) && k.key === "o",
      edits: true,
      run: () => only() !== null && act("outside"),
    },
    {
      keys: "T",
      action: "Track forward: a tracker proposes the selected track's next keyframes",
      matches: (k) => plain(k) && k.key === "t",
      edits: true,
      run: () => assist.start(),
    },
  ];
  const w = window as unknown as { __tesseraVideo?: unknown };
  w.__tesseraVideo = { seek, frame, count, fps, selected, cache: () => cache };
  onCleanup(() => (w.__tesseraVideo = undefined));

  const Dock = () => (
    <>
      <Show when={failure()}>
        {(message) => (
          <div class="video-failure" role="alert">
            {message()}
          </div>
        )}
      </Show>
      <assist.Bar />
      <Timeline
        count={count}
        fps={fps}
        frame={frame}
        playing={playback.playing}
        speed={playback.speed}
        lanes={lanes}
        selected={selected}
        peers={peerHeads}
        editable={ctx.editable}
        loading={() => frames() === null}
        labelOf={(id) => labels().get(id) ?? ""}
        colorOf={(id) => ctx.colorOfLabel(labels().get(id) ?? "")}
        seek={(f) => {
          playback.pause();
          seek(f);
        }}
        togglePlay={playback.toggle}
        setSpeed={playback.setSpeed}
        selectTrack={selectTrack}
        action={(a) => void act(a)}
      />
    </>
  );
  const fields = stateFields(ctx);
  const Side =
    fields.length === 0
      ? undefined
      : () => (
          <StatePanel
            ctx={ctx}
            fields={fields}
            frame={frame}
            track={only}
            version={version}
            frameOf={(t) => actionCtx.frameOf(t)}
          />
        );
  return { Dock, shortcuts, ...(Side ? { Side } : {}) };
}

export const workspace: WorkspaceModule = {
  id: "video",
  title: "Video",
  pixanoWorkspaces: ["video"],
  open,
};
