import { createSignal, onCleanup, type Accessor } from "solid-js";

/**
 * Play/pause at the dataset's frame rate times the speed. The frame shown is the one the clock
 * has reached since play started; when that frame's image is not decoded yet the clock waits for
 * it (buffering) instead of skipping ahead, and playing stops on the last frame.
 */
export interface Playback {
  readonly playing: Accessor<boolean>;
  readonly speed: Accessor<number>;
  play(): void;
  pause(): void;
  toggle(): void;
  setSpeed(speed: number): void;
}

export function createPlayback(o: {
  readonly count: () => number;
  readonly fps: () => number;
  readonly current: () => number;
  readonly ready: (frame: number) => boolean;
  readonly show: (frame: number) => void;
}): Playback {
  const [playing, setPlaying] = createSignal(false);
  const [speed, setSpeedSignal] = createSignal(1);
  let raf = 0;
  let t0 = 0;
  let f0 = 0;
  const restart = (now: number) => {
    t0 = now;
    f0 = o.current();
  };
  const tick = (now: number) => {
    const last = o.count() - 1;
    const target = Math.min(last, f0 + Math.floor(((now - t0) / 1000) * o.fps() * speed()));
    if (target !== o.current()) {
      if (o.ready(target)) o.show(target);
      else restart(now);
    }
    if (o.current() >= last) {
      pause();
      return;
    }
    raf = requestAnimationFrame(tick);
  };
  const play = () => {
    if (playing() || o.count() <= 1) return;
    if (o.current() >= o.count() - 1) o.show(0);
    setPlaying(true);
    restart(performance.now());
    raf = requestAnimationFrame(tick);
  };
  const pause = () => {
    cancelAnimationFrame(raf);
    setPlaying(false);
  };
  onCleanup(pause);
  return {
    playing,
    speed,
    play,
    pause,
    toggle: () => (playing() ? pause() : play()),
    setSpeed: (s) => {
      setSpeedSignal(s);
      restart(performance.now());
    },
  };
}
