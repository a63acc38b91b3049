/** A minimal typed event emitter for {@link CanvasEvents}; listeners are removed by the returned function. */
export class Emitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<(payload: never) => void>>();

  on<K extends keyof E>(event: K, fn: (payload: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn as (payload: never) => void);
    return () => set.delete(fn as (payload: never) => void);
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (p: E[K]) => void)(payload);
      } catch (err) {
        // A failing listener (panel code) must not break the canvas's frame or the other listeners.
        console.error(`canvas: a "${String(event)}" listener failed`, err);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** Frames rendered in the last second, from a ring of frame timestamps (no allocation per frame). */
export class FrameCounter {
  private readonly times = new Float64Array(256);
  private head = 0;
  private count = 0;

  tick(now: number): void {
    this.times[this.head] = now;
    this.head = (this.head + 1) % this.times.length;
    if (this.count < this.times.length) this.count++;
  }

  fps(now: number): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const t = this.times[(this.head - 1 - i + this.times.length) % this.times.length] as number;
      if (now - t > 1000) break;
      n++;
    }
    return n;
  }
}
