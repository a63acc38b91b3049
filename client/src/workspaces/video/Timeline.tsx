import { createEffect, createSignal, For, onCleanup, onMount, type Accessor } from "solid-js";
import type { Lane } from "./lanes.js";
import { TimelineView, type TimelineState } from "./TimelineView.js";

/**
 * The video dock: transport (first / previous / play / next / last, speed), the frame and time,
 * the track operations, a frame slider, and the lanes (one per entity: tracklet bars, keyframe
 * ticks, everyone's playheads). A click on a lane seeks there and selects the track under it
 * (Shift adds it, to glue two); dragging scrubs; the wheel scrolls lanes, Ctrl+wheel zooms time.
 */
export type TrackAction = "keyframe" | "split" | "glue" | "extend" | "outside" | "delete";

export interface TimelineProps {
  readonly count: Accessor<number>;
  readonly fps: Accessor<number>;
  readonly frame: Accessor<number>;
  readonly playing: Accessor<boolean>;
  readonly speed: Accessor<number>;
  readonly lanes: Accessor<readonly Lane[]>;
  readonly selected: Accessor<ReadonlySet<string>>;
  readonly peers: Accessor<ReadonlyArray<{ frame: number; color: string; name: string }>>;
  readonly editable: Accessor<boolean>;
  readonly loading: Accessor<boolean>;
  labelOf(entityId: string): string;
  colorOf(entityId: string): string;
  seek(frame: number): void;
  togglePlay(): void;
  setSpeed(speed: number): void;
  selectTrack(trackletId: string | null, additive: boolean): void;
  action(a: TrackAction): void;
}

const SPEEDS = [0.25, 0.5, 1, 2, 4];

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(2).padStart(5, "0")}`;
}

/** A 22×22 transport icon (system fonts lack the media symbols). */
function icon(d: string) {
  return (
    <svg width="14" height="14" viewBox="0 0 22 22" aria-hidden="true">
      <path d={d} fill="currentColor" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" />
    </svg>
  );
}

export function Timeline(p: TimelineProps) {
  let canvas: HTMLCanvasElement | undefined;
  let view: TimelineView | null = null;
  const [zoom, setZoom] = createSignal(1);
  const [scroll, setScroll] = createSignal(0);
  const [size, setSize] = createSignal(0);
  const span = () => Math.max(Math.min(20, p.count()), Math.ceil(p.count() / zoom()));
  const [start, setStart] = createSignal(0);
  // The window follows the playhead when it leaves it.
  createEffect(() => {
    const f = p.frame();
    const s = span();
    const st = start();
    if (f < st || f >= st + s || st + s > p.count())
      setStart(Math.max(0, Math.min(p.count() - s, f - Math.floor(s / 4))));
  });
  let raf = 0;
  const state = (): TimelineState => ({
    lanes: p.lanes(),
    count: p.count(),
    frame: p.frame(),
    viewStart: start(),
    viewSpan: span(),
    scroll: scroll(),
    selected: p.selected(),
    peers: p.peers(),
    labelOf: p.labelOf,
    colorOf: p.colorOf,
  });
  createEffect(() => {
    const s = state();
    size();
    cancelAnimationFrame(raf);
    raf = requestAnimationFrame(() => view?.draw(s));
  });
  onMount(() => {
    if (!canvas) return;
    view = new TimelineView(canvas);
    const ro = new ResizeObserver(() => setSize((n) => n + 1));
    ro.observe(canvas);
    onCleanup(() => ro.disconnect());
  });
  onCleanup(() => cancelAnimationFrame(raf));

  let scrubbing = false;
  const onDown = (e: PointerEvent) => {
    const h = view?.hit(e.offsetX, e.offsetY);
    if (!h) return;
    scrubbing = true;
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    p.seek(h.frame);
    if (h.track) p.selectTrack(h.track.id, e.shiftKey);
    else if (!e.shiftKey) p.selectTrack(null, false);
  };
  const onMove = (e: PointerEvent) => {
    if (!scrubbing) return;
    const h = view?.hit(e.offsetX, e.offsetY);
    if (h) p.seek(h.frame);
  };
  const onUp = () => (scrubbing = false);
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    if (e.ctrlKey || e.metaKey) {
      const max = Math.max(1, p.count() / 20);
      setZoom((z) => Math.min(max, Math.max(1, z * (e.deltaY < 0 ? 1.25 : 0.8))));
    } else {
      const visible = view?.visibleLanes ?? 1;
      setScroll((s) => Math.max(0, Math.min(p.lanes().length - visible, s + Math.sign(e.deltaY))));
    }
  };
  const one = () => p.selected().size === 1;
  const btn = (a: TrackAction, label: string, title: string, enabled: () => boolean) => (
    <button
      class="btn ghost"
      data-testid={`track-${a}`}
      title={title}
      disabled={!p.editable() || !enabled()}
      onClick={() => p.action(a)}
    >
      {label}
    </button>
  );

  return (
    <div class="video-dock" data-testid="video-timeline" data-frame={p.frame()} data-count={p.count()}>
      <div class="video-controls">
        <button class="btn ghost" title="First frame (Home)" onClick={() => p.seek(0)}>
          {icon("M5 4v14M17 4 8 11l9 7z")}
        </button>
        <button class="btn ghost" title="Previous frame (D, ←)" onClick={() => p.seek(p.frame() - 1)}>
          {icon("M15 4 6 11l9 7z")}
        </button>
        <button class="btn" data-testid="video-play" title="Play / pause (Space)" onClick={() => p.togglePlay()}>
          {p.playing() ? icon("M6 4h4v14H6zM13 4h4v14h-4z") : icon("M6 4l12 7-12 7z")}
        </button>
        <button class="btn ghost" title="Next frame (F, →)" onClick={() => p.seek(p.frame() + 1)}>
          {icon("M7 4l9 7-9 7z")}
        </button>
        <button class="btn ghost" title="Last frame (End)" onClick={() => p.seek(p.count() - 1)}>
          {icon("M17 4v14M5 4l9 7-9 7z")}
        </button>
        <span class="video-frame mono" data-testid="video-frame">
          {p.loading() ? "Loading frames…" : `${p.frame()} / ${Math.max(0, p.count() - 1)}`}
        </span>
        <span class="video-time mono">{clock(p.frame() / Math.max(1e-9, p.fps()))}</span>
        <select
          class="video-speed"
          title="Playback speed"
          value={String(p.speed())}
          onChange={(e) => p.setSpeed(Number(e.currentTarget.value))}
        >
          <For each={SPEEDS}>{(s) => <option value={String(s)}>{s}×</option>}</For>
        </select>
        <span class="video-sep" />
        {btn("keyframe", "Keyframe", "Store the shape shown here as a keyframe (K)", one)}
        {btn("split", "Split", "Split the track after this frame", one)}
        {btn(
          "glue",
          "Glue",
          "Glue the two selected tracks (Shift+click a second track)",
          () => p.selected().size === 2,
        )}
        {btn("extend", "Extend", "Extend the track to this frame", one)}
        {btn("outside", "Outside", "The object leaves after this frame: end the track here (O)", one)}
        {btn("delete", "Delete track", "Delete the track with its keyframes", one)}
        <span class="video-sep" />
        <button class="btn ghost" title="Zoom out (Ctrl+wheel)" onClick={() => setZoom((z) => Math.max(1, z / 2))}>
          −
        </button>
        <button
          class="btn ghost"
          title="Zoom in (Ctrl+wheel)"
          onClick={() => setZoom((z) => Math.min(Math.max(1, p.count() / 20), z * 2))}
        >
          +
        </button>
      </div>
      <input
        class="video-slider"
        type="range"
        data-testid="video-slider"
        min="0"
        max={Math.max(0, p.count() - 1)}
        step="1"
        value={p.frame()}
        onInput={(e) => p.seek(Number(e.currentTarget.value))}
      />
      <canvas
        class="video-lanes"
        ref={canvas}
        data-testid="video-lanes"
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerCancel={onUp}
        onWheel={onWheel}
      />
    </div>
  );
}
