import type { Clock } from "../../src/canvas/clock.js";
import type { EffectTarget } from "../../src/canvas/EffectApplier.js";
import type { SceneChange, SceneItem, SceneSink } from "../../src/canvas/scene/SceneModel.js";

/** A clock tests advance by hand; timers fire in order when their time comes. */
export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

/** Records what the applier forwards to the canvas. */
export class RecordingTarget implements EffectTarget {
  readonly calls: Array<{ method: keyof EffectTarget; args: unknown[] }> = [];
  private rec(method: keyof EffectTarget, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }
  of(method: keyof EffectTarget): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }
  preview = (...a: unknown[]) => this.rec("preview", ...a);
  hover = (...a: unknown[]) => this.rec("hover", ...a);
  setCursor = (...a: unknown[]) => this.rec("setCursor", ...a);
  pan = (...a: unknown[]) => this.rec("pan", ...a);
  select = (...a: unknown[]) => this.rec("select", ...a);
  switchTool = (...a: unknown[]) => this.rec("switchTool", ...a);
  brushRadius = (...a: unknown[]) => this.rec("brushRadius", ...a);
  refused = (...a: unknown[]) => this.rec("refused", ...a);
  dragging = (...a: unknown[]) => this.rec("dragging", ...a);
  created = (...a: unknown[]) => this.rec("created", ...a);
}

/** A scene sink that logs create/update/destroy calls as strings (`create bboxes/b1`). */
export class LogSink implements SceneSink {
  readonly log: string[] = [];
  create(item: SceneItem): void {
    this.log.push(`create ${item.key}`);
  }
  update(item: SceneItem, change: SceneChange): void {
    this.log.push(`update ${item.key}${change.geometry ? " geometry" : ""}${change.style ? " style" : ""}`);
  }
  destroy(item: SceneItem): void {
    this.log.push(`destroy ${item.key}`);
  }
  take(): string[] {
    return this.log.splice(0);
  }
}
