import cliProgress from "cli-progress";
import type { CliIo } from "./output.js";

/**
 * Progress of a long import/export: a `cli-progress` bar on stderr when it is a terminal,
 * nothing otherwise (the command then prints one summary line when it is done).
 */
export interface Progress {
  update(done: number, total: number, phase?: string): void;
  stop(): void;
}

export function progressFor(io: CliIo, label: string): Progress {
  if (!io.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} records | {phase}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, phase = "") {
      if (!started) {
        bar.start(Math.max(total, 1), 0, { phase });
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { phase });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
