import { pollUntil } from "../clock.js";
import type { EditorPair } from "../probes/editorPair.js";

/**
 * The editors' side of a background-job benchmark: `rounds` alternating windows of `perWindow`
 * edits by a legitimate pair of stock clients — first with nothing running (idle), then while a
 * job the scenario started runs (loaded), the job stopped at the window's end. Alternating keeps
 * whatever else the machine does spread over both sides alike.
 */
export interface JobWindowsOptions<J> {
  readonly pair: EditorPair;
  readonly rounds: number;
  readonly perWindow: number;
  /** One edit starts every this many ms (0: back to back). */
  readonly everyMs: number;
  readonly log: (message: string) => void;
  /** What the windows measure, for the log ("a job runs", "a run goes on"). */
  readonly while: string;
  /** Starts a job and resolves once it does its work (its start-up is not measured). */
  readonly start: () => Promise<J>;
  /** Whether the job ended before the loaded window did (the window then measured idle time too). */
  readonly ended: (job: J) => Promise<boolean>;
  /** Cancels the job, waits for its end and resolves with the items it did. */
  readonly stop: (job: J) => Promise<number>;
}

export interface JobWindows {
  readonly idle: number[];
  readonly loaded: number[];
  /** Items the loaded windows' jobs did, start to cancel. */
  readonly itemsDuring: number;
  /** Loaded windows whose job ended before the window did. */
  readonly endedEarly: number;
}

export async function jobWindows<J>(o: JobWindowsOptions<J>): Promise<JobWindows> {
  const idle: number[] = [];
  const loaded: number[] = [];
  let itemsDuring = 0;
  let endedEarly = 0;
  for (let round = 0; round < o.rounds; round++) {
    o.log(`round ${round + 1}/${o.rounds}: ${o.perWindow} edits idle, then while ${o.while}`);
    idle.push(...(await o.pair.series(o.perWindow, o.everyMs)));
    const job = await o.start();
    loaded.push(...(await o.pair.series(o.perWindow, o.everyMs)));
    if (await o.ended(job)) {
      endedEarly++;
      o.log(`the job ended before the loaded window did (give it more to do)`);
    }
    itemsDuring += await o.stop(job);
  }
  return { idle, loaded, itemsDuring, endedEarly };
}

/** A job's state as the job routes answer it (pre-annotation, tracking, embeddings). */
interface EndingJob {
  readonly status: string;
  readonly progress: { readonly final: boolean };
}

/**
 * Polls `get` every `everyMs` until the job says it is final (or `error`), at most 10 minutes;
 * resolves with its last state. A UI follows a job about every 250 ms: each poll costs the server.
 */
export async function untilJobEnded<J extends EndingJob>(
  get: () => Promise<J>,
  everyMs: number,
  what: string,
): Promise<J> {
  let last: J | null = null;
  const ok = await pollUntil(
    async () => {
      last = await get();
      return last.progress.final || last.status === "error";
    },
    600_000,
    everyMs,
  );
  if (!ok || !last) throw new Error(`${what} did not end`);
  return last;
}
