import type { Lane, LaneTrack } from "./lanes.js";

/**
 * The timeline's lanes drawn on one 2D canvas: a label column, then per visible lane its tracklet
 * bars and keyframe ticks over the visible frame window, the playheads of the other people (their
 * colour) and this person's. Nothing is per frame: bars are drawn from their ends, ticks by binary
 * search over the visible window and at most one per pixel, lanes outside the scroll window are
 * skipped — so 100k frames and hundreds of lanes draw in constant work per visible pixel.
 */
export interface TimelineState {
  readonly lanes: readonly Lane[];
  readonly count: number;
  readonly frame: number;
  /** First frame shown and frames shown across the width (zoom). */
  readonly viewStart: number;
  readonly viewSpan: number;
  /** First lane shown (vertical scroll). */
  readonly scroll: number;
  readonly selected: ReadonlySet<string>;
  readonly peers: ReadonlyArray<{ readonly frame: number; readonly color: string; readonly name: string }>;
  labelOf(entityId: string): string;
  colorOf(entityId: string): string;
}

const LANE_H = 18;
const LABEL_W = 120;

export interface TimelineHit {
  readonly frame: number;
  readonly lane: Lane | null;
  readonly track: LaneTrack | null;
}

function firstAtLeast(list: readonly number[], v: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] ?? Infinity) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TimelineView {
  private state: TimelineState | null = null;
  private width = 0;
  private height = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** Lanes that fit in the canvas. */
  get visibleLanes(): number {
    return Math.max(1, Math.floor(this.height / LANE_H));
  }

  xOf(frame: number, s: TimelineState): number {
    const w = Math.max(1, this.width - LABEL_W);
    return LABEL_W + ((frame - s.viewStart) / Math.max(1, s.viewSpan)) * w;
  }

  frameAt(x: number, s: TimelineState): number {
    const w = Math.max(1, this.width - LABEL_W);
    const f = Math.floor(s.viewStart + ((x - LABEL_W) / w) * s.viewSpan);
    return Math.max(0, Math.min(s.count - 1, f));
  }

  hit(x: number, y: number): TimelineHit | null {
    const s = this.state;
    if (!s) return null;
    const frame = this.frameAt(Math.max(LABEL_W, x), s);
    const lane = s.lanes[s.scroll + Math.floor(y / LANE_H)] ?? null;
    const track = lane?.tracks.find((t) => frame >= t.start && frame <= t.end) ?? null;
    return { frame, lane, track };
  }

  draw(s: TimelineState): void {
    this.state = s;
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    this.width = w;
    this.height = h;
    const g = c.getContext("2d");
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const css = getComputedStyle(c);
    const fg2 = css.getPropertyValue("--fg2").trim() || "#a5abb5";
    const line = css.getPropertyValue("--line").trim() || "#2f343c";
    const accent = css.getPropertyValue("--accent").trim() || "#4f8cff";
    g.clearRect(0, 0, w, h);
    g.font = "11px system-ui, sans-serif";
    g.textBaseline = "middle";
    const end = s.viewStart + s.viewSpan;
    const rows = Math.min(s.lanes.length - s.scroll, this.visibleLanes);
    for (let r = 0; r < rows; r++) {
      const lane = s.lanes[s.scroll + r];
      if (!lane) continue;
      const y = r * LANE_H;
      const color = s.colorOf(lane.entityId);
      g.fillStyle = line;
      g.fillRect(0, y + LANE_H - 1, w, 1);
      g.fillStyle = color;
      g.fillRect(4, y + 5, 8, 8);
      g.fillStyle = fg2;
      g.fillText(s.labelOf(lane.entityId) || lane.entityId.slice(0, 8), 16, y + LANE_H / 2, LABEL_W - 20);
      for (const t of lane.tracks) {
        if (t.end < s.viewStart || t.start > end) continue;
        const x0 = Math.max(LABEL_W, this.xOf(t.start, s));
        const x1 = Math.min(w, this.xOf(t.end + 1, s));
        const sel = s.selected.has(t.id);
        g.globalAlpha = sel ? 0.95 : 0.55;
        g.fillStyle = color;
        g.fillRect(x0, y + 3, Math.max(2, x1 - x0), LANE_H - 7);
        g.globalAlpha = 1;
        if (sel) {
          g.strokeStyle = "#ffffff";
          g.lineWidth = 1.5;
          g.strokeRect(x0 + 0.5, y + 2.5, Math.max(2, x1 - x0) - 1, LANE_H - 6);
        }
        this.ticks(g, t.keyframes, s, y, "#ffffff");
      }
      this.ticks(g, lane.loose, s, y, color);
    }
    for (const p of s.peers) this.playhead(g, p.frame, s, p.color, h);
    this.playhead(g, s.frame, s, accent, h);
  }

  private ticks(g: CanvasRenderingContext2D, frames: readonly number[], s: TimelineState, y: number, color: string) {
    g.fillStyle = color;
    let lastX = -Infinity;
    const end = s.viewStart + s.viewSpan;
    for (let i = firstAtLeast(frames, s.viewStart); i < frames.length; i++) {
      const f = frames[i] ?? 0;
      if (f > end) break;
      const x = this.xOf(f + 0.5, s);
      if (x - lastX < 3) continue;
      lastX = x;
      g.beginPath();
      g.moveTo(x, y + 4);
      g.lineTo(x + 3, y + LANE_H / 2);
      g.lineTo(x, y + LANE_H - 5);
      g.lineTo(x - 3, y + LANE_H / 2);
      g.closePath();
      g.fill();
    }
  }

  private playhead(g: CanvasRenderingContext2D, frame: number, s: TimelineState, color: string, h: number) {
    if (frame < s.viewStart || frame > s.viewStart + s.viewSpan) return;
    const x = Math.round(this.xOf(frame + 0.5, s)) + 0.5;
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x, 0);
    g.lineTo(x, h);
    g.stroke();
  }
}
