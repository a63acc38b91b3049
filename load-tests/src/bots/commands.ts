import type { BotCounters, RemoteMode } from "./Bot.js";

/**
 * The commands the runner sends to its load-generator processes (bots: raw-protocol clients,
 * hundreds per process; observers: real `WebsocketProvider` clients that time what arrives).
 * Every time is on the shared monotonic clock (`nowMs`), so windows computed by the runner apply
 * to samples taken in other processes.
 */
export interface BotSpec {
  /** Who this bot is in edit stamps (`c`). */
  readonly index: number;
  readonly url: string;
  readonly recordId: string;
  readonly remote: RemoteMode;
  /** Initial content of the bot's replica, uploaded in its step 2 (the stock server starts empty). */
  readonly seed?: Uint8Array;
  /** The bbox row this bot moves in `load`. */
  readonly bboxId?: string;
  readonly autoReconnect?: boolean;
  /** Keep the join's step 2 bytes for a processed marker (`prepareOnce` with `marker`). */
  readonly keepJoinState?: boolean;
}

interface ConnectArgs {
  readonly specs: readonly BotSpec[];
  /** Connections opened at a time (all at once for a join storm). */
  readonly concurrency: number;
  readonly timeoutMs: number;
}

interface ConnectResult {
  /** Connect call → step 2 received, per bot that synced. */
  readonly syncMs: number[];
  readonly startedAt: number;
  /** When the last bot synced (NaN if none did). */
  readonly lastSyncedAt: number;
  readonly failed: number;
  readonly errors: string[];
}

interface LoadArgs {
  /** The dataset's `info.json`: the bots validate their edits with its schema, as the client does. */
  readonly info: Record<string, unknown>;
  readonly editsPerSec: number;
  readonly awarenessHz: number;
}

interface WindowArgs {
  readonly from: number;
  readonly to: number;
}

export interface BotReport {
  /** Edit → durable confirmation at the sender (Tessera), for edits sent inside the window. */
  readonly ackMs: number[];
  readonly editsInWindow: number;
  readonly awarenessInWindow: number;
  /** Per bot (spec order): last edit made, last edit confirmed durable, edits made in all. */
  readonly lastEditSeq: number[];
  readonly confirmedSeq: number[];
  readonly editErrors: number;
  readonly firstEditError: string | null;
  readonly counters: BotCounters;
  /** Event-loop delay of the bot process (load-generator saturation). */
  readonly loopDelayMs: { p50: number; p99: number; max: number };
}

interface WaitConfirmedResult {
  readonly confirmed: boolean;
  readonly ackMs: number[];
  readonly unconfirmed: number;
}

interface ReleaseResult {
  /** Release → step 2 received again, per bot. */
  readonly syncMs: number[];
  readonly failed: number;
}

export type BotCommands = {
  connect: [ConnectArgs, ConnectResult];
  load: [LoadArgs, { started: number }];
  stopLoad: [Record<string, never>, { stopped: number }];
  /** One new entity with its box per bot (rooms): an edit that needs nothing from the server's state. */
  createOnce: [
    { readonly info: Record<string, unknown> },
    {
      edits: number;
      errors: number;
      firstError: string | null;
      /** How long the bots' process took to make and send them all (one thread: the first ack is read after). */
      sendMs: number;
    },
  ];
  /** As `createOnce`, but the frames are held back (not sent) until `sendHeld`: the burst is prepared untimed. */
  prepareOnce: [
    /** `marker`: each bot also sends a sync step 1 right behind its edit (see `Bot.prepareMarker`). */
    { readonly info: Record<string, unknown>; readonly marker?: boolean },
    { edits: number; errors: number; firstError: string | null; prepareMs: number },
  ];
  /**
   * Sends every held edit frame at `at` (shared monotonic clock: several bot processes start the
   * same burst together); each edit's ack is timed from its own frame's send.
   */
  sendHeld: [
    { readonly at: number },
    { frames: number; firstSentAt: number; lastSentAt: number; /** This process's send loop. */ sendMs: number },
  ];
  waitConfirmed: [{ readonly timeoutMs: number }, WaitConfirmedResult];
  /** Until every marker sent with the burst was answered: edit sent → handled by the server, per bot. */
  waitProcessed: [{ readonly timeoutMs: number }, { processedMs: number[]; unanswered: number }];
  report: [WindowArgs, BotReport];
  hold: [Record<string, never>, { held: number }];
  waitClosed: [{ readonly timeoutMs: number }, { closed: number; open: number }];
  release: [{ readonly timeoutMs: number }, ReleaseResult];
  leave: [{ readonly timeoutMs: number }, { closed: number; open: number }];
};

interface ObserverConnectArgs {
  /** `ws://HOST:PORT/sync/DATASET` (the provider appends `/RECORD`). */
  readonly serverUrl: string;
  readonly recordId: string;
  readonly count: number;
  /** Ask for Tessera's type-100 messages. */
  readonly tessera: boolean;
  readonly timeoutMs: number;
}

export interface ObserverReport {
  /** Edit made by another client → seen by this observer, for edits made inside the window. */
  readonly editMs: number[];
  /** Awareness state set by another client → seen, for states set inside the window. */
  readonly awarenessMs: number[];
  /** The slowest edits in the window: `[sentAt, latencyMs]`, slowest first (to line up with server events). */
  readonly worstEdits: Array<[number, number]>;
  /** Per observer: edits seen per bot index (all of them, window or not). */
  readonly seen: Array<Record<number, number>>;
  /** Per observer: the highest edit sequence seen per bot index. */
  readonly lastSeq: Array<Record<number, number>>;
  readonly loopDelayMs: { p50: number; p99: number; max: number };
}

export type ObserverCommands = {
  connect: [ObserverConnectArgs, { syncMs: number[] }];
  load: [{ readonly awarenessHz: number }, { started: number }];
  stopLoad: [Record<string, never>, { stopped: number }];
  report: [WindowArgs, ObserverReport];
  hold: [Record<string, never>, { held: number }];
  release: [{ readonly timeoutMs: number }, { syncMs: number[]; failed: number }];
  leave: [Record<string, never>, { left: number }];
};
