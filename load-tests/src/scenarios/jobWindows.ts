import { pollUntil } from "../clock.js";
import type { EditorPair } from "../probes/editorPair.js";
import type { LatencySummary } from "../stats.js";
import { fmt, latencyCells, summarize } from "./common.js";

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
  /** The idle windows' round trips, one list per window. */
  readonly idle: number[][];
  readonly loaded: number[];
  /** Items the loaded windows' jobs did, start to cancel. */
  readonly itemsDuring: number;
  /** Loaded windows whose job ended before the window did. */
  readonly endedEarly: number;
}

export async function jobWindows<J>(o: JobWindowsOptions<J>): Promise<JobWindows> {
  const idle: number[][] = [];
  const loaded: number[] = [];
  let itemsDuring = 0;
  let endedEarly = 0;
  for (let round = 0; round < o.rounds; round++) {
    o.log(`round ${round + 1}/${o.rounds}: ${o.perWindow} edits idle, then while ${o.while}`);
    idle.push(await o.pair.series(o.perWindow, o.everyMs));
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

/** p50, p95 and p99 of one side ÷ the other. */
export interface Ratios {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

function ratios(a: LatencySummary, b: LatencySummary): Ratios {
  return { p50: a.p50 / b.p50, p95: a.p95 / b.p95, p99: a.p99 / b.p99 };
}

/**
 * What a percentile moves between two samples of the same conditions: the idle windows split in two
 * interleaved halves (1st, 3rd, … against 2nd, 4th, …), the larger of each percentile over the
 * smaller. A loaded ÷ idle ratio within this says nothing either way. Null with fewer than 2 windows.
 */
export function idleNoise(windows: readonly (readonly number[])[]): Ratios | null {
  if (windows.length < 2) return null;
  const a = summarize(windows.filter((_, i) => i % 2 === 0).flat());
  const b = summarize(windows.filter((_, i) => i % 2 === 1).flat());
  const spread = (x: number, y: number) => Math.max(x, y) / Math.min(x, y);
  return { p50: spread(a.p50, b.p50), p95: spread(a.p95, b.p95), p99: spread(a.p99, b.p99) };
}

/**
 * The editors' verdict of a job benchmark: their round trips idle and while `loadedLabel`, loaded ÷
 * idle at p50 / p95 / p99 (the pass mark is 1.2), and the idle-vs-idle noise next to it — as JSON
 * fields and the tables every job scenario prints.
 */
export function jobLatency(
  idleWindows: readonly (readonly number[])[],
  loaded: readonly number[],
  loadedLabel: string,
  jobItems: { readonly label: string; readonly count: number },
): {
  readonly json: Record<string, unknown>;
  readonly tables: Array<{ head: string[]; rows: string[][] }>;
} {
  const idleS = summarize(idleWindows.flat());
  const loadedS = summarize([...loaded]);
  const r = ratios(loadedS, idleS);
  const noise = idleNoise(idleWindows);
  const rows: Array<[string, LatencySummary]> = [
    ["edit round trip, idle", idleS],
    [`edit round trip, ${loadedLabel}`, loadedS],
  ];
  const cells = (x: Ratios | null) => (x ? [fmt(x.p50, 2), fmt(x.p95, 2), fmt(x.p99, 2)] : ["—", "—", "—"]);
  return {
    json: {
      results: Object.fromEntries(rows),
      ratioP50: r.p50,
      ratioP95: r.p95,
      ratioP99: r.p99,
      idleNoise: noise,
    },
    tables: [
      {
        head: ["measure", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        rows: rows.map(([name, s]) => [name, String(s.n), ...latencyCells(s)]),
      },
      {
        head: [jobItems.label, "loaded/idle p50", "p95", "p99", "idle/idle p50", "p95", "p99"],
        rows: [[String(jobItems.count), ...cells(r), ...cells(noise)]],
      },
    ],
  };
}
