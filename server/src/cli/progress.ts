import cliProgress from "cli-progress";
import type { CliIo } from "./output.js";
import { formatEta, formatRate, RateMeter } from "./rate.js";

/**
 * Progress of a long import/export: a `cli-progress` bar on stderr when it is a terminal, with
 * the throughput (records/s) and the time left, nothing otherwise (the command then prints one
 * summary line when it is done; `--json` asks for no bar at all).
 */
export interface Progress {
  update(done: number, total: number, phase?: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Milliseconds clock for the rate and ETA (tests inject one). */
  readonly now?: () => number;
}

export function progressFor(io: CliIo, label: string, options: ProgressOptions = {}): Progress {
  if (!io.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const meter = new RateMeter(options.now);
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      // `{eta}` is cli-progress's own (wall clock since start): ours is the windowed rate's, from the injected clock.
      format: `${label} [{bar}] {percentage}% | {value}/{total} records | {rate} | ETA {timeLeft} | {phase}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, phase = "") {
      const reading = meter.update(done, total);
      const payload = { phase, rate: formatRate(reading.perSecond), timeLeft: formatEta(reading.etaSeconds) };
      if (!started) {
        bar.start(Math.max(total, 1), 0, payload);
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
