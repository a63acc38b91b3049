import type { Identity } from "../session.js";
import { queuedEntriesOf } from "./outbox.js";
import { isOpen, openRecordSession } from "./recordSession.js";
import type { SyncPhase } from "./SyncTracker.js";

/**
 * Sends the queued edits of records no page has open (left while offline, or in a tab that was
 * closed or crashed): one record at a time, each through an ordinary record session with no UI,
 * which replays its outbox once loaded and ends when the server confirmed everything — or when it
 * cannot go on (read-only, no such record, signed out) or a deadline passes; the edits it could
 * not send stay queued for the next run. Runs on start, when the browser comes back online and
 * after a sign-in ({@link OutboxFlusher.run}).
 */
export interface OutboxFlusher {
  run(): void;
  stop(): void;
}

/** How long one record may take to load and confirm before the flusher moves on. */
const RECORD_DEADLINE_MS = 30_000;
/** Pause before a pass that left records unsent runs again. */
const RETRY_MS = 10_000;
const FINAL: ReadonlySet<SyncPhase> = new Set(["readOnly", "missing", "signedOut"]);

function flushRecord(identity: Identity, dataset: string, record: string): Promise<SyncPhase> {
  const session = openRecordSession(dataset, record, identity);
  return new Promise<SyncPhase>((resolve) => {
    let settled = false;
    const finish = (phase: SyncPhase) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop();
      session.destroy();
      resolve(phase);
    };
    const check = () => {
      const s = session.tracker.status();
      if ((s.phase === "saved" && s.pending === 0) || FINAL.has(s.phase)) finish(s.phase);
    };
    const timer = setTimeout(() => finish(session.tracker.status().phase), RECORD_DEADLINE_MS);
    const stop = session.tracker.subscribe(check);
  });
}

let current: OutboxFlusher | null = null;

/** Asks the app's flusher (if started) for a pass, e.g. after a page left a record with edits in flight. */
export function requestFlush(): void {
  current?.run();
}

/** Starts the app's flusher (one per page; a second call replaces the first). */
export function startOutboxFlusher(identity: () => Identity | null): OutboxFlusher {
  current?.stop();
  current = createOutboxFlusher(identity);
  return current;
}

function createOutboxFlusher(identity: () => Identity | null): OutboxFlusher {
  let running = false;
  let again = false;
  let stopped = false;

  /** One pass over the user's queued records; true when some could not be sent and are worth retrying. */
  const pass = async (): Promise<boolean> => {
    const me = identity();
    if (!me || !navigator.onLine) return false;
    const records = new Map<string, { dataset: string; record: string }>();
    for (const e of await queuedEntriesOf(me.userId))
      records.set(JSON.stringify([e.dataset, e.record]), { dataset: e.dataset, record: e.record });
    let retry = false;
    for (const { dataset, record } of records.values()) {
      if (stopped || !navigator.onLine || identity()?.userId !== me.userId) return false;
      if (isOpen({ user: me.userId, dataset, record })) continue;
      const phase = await flushRecord(me, dataset, record);
      // Signed out: the next sign-in runs again. Read-only or gone: retrying cannot help.
      if (phase === "signedOut") return false;
      if (phase !== "saved" && !FINAL.has(phase)) retry = true;
    }
    return retry;
  };
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    void (async () => {
      let retry = false;
      do {
        again = false;
        try {
          retry = await pass();
        } catch (err) {
          console.error("tessera: flushing queued edits failed", err);
          retry = true;
        }
      } while (again && !stopped);
      running = false;
      // The server was unreachable or slow: try again later (also on the next "online" event).
      clearTimeout(retryTimer);
      if (retry && !stopped) retryTimer = setTimeout(run, RETRY_MS);
    })();
  };

  const onOnline = () => run();
  window.addEventListener("online", onOnline);
  return {
    run,
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      window.removeEventListener("online", onOnline);
    },
  };
}
