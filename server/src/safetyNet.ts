import type { Logger } from "./logger.js";

/**
 * Node error codes that only concern one request's response or socket: writing after the response
 * was sent or ended, to a destroyed stream, or to a peer that went away. When one escapes its
 * handler (a library emitting it outside any try), that request is lost but the process state is
 * sound, so the server keeps serving everyone else.
 */
const REQUEST_SCOPED_CODES: ReadonlySet<string> = new Set([
  "ERR_HTTP_HEADERS_SENT",
  "ERR_STREAM_WRITE_AFTER_END",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_ALREADY_FINISHED",
  "ECONNRESET",
  "EPIPE",
]);

/** Whether an escaped error is about one request's response or socket only. */
export function isRequestScoped(err: unknown): boolean {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  return typeof code === "string" && REQUEST_SCOPED_CODES.has(code);
}

/** The message the safety net logs when it kept the process alive (tests look for its absence). */
export const ESCAPED_REQUEST_ERROR = "request-scoped error escaped its handler; still serving";

/**
 * The process-level safety net of a server process (`main.ts`, `tessera server run`): an uncaught
 * exception or unhandled rejection that is request-scoped ({@link isRequestScoped}) is logged with
 * its stack and the process keeps serving; anything else is logged and ends the process with
 * code 1 (its state is unknown; the write-ahead log makes a restart lose nothing confirmed).
 * Returns the uninstaller.
 */
export function installSafetyNet(
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  const describe = (err: unknown) =>
    err instanceof Error
      ? { name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code, stack: err.stack }
      : { value: String(err) };
  const onError = (kind: "uncaughtException" | "unhandledRejection") => (err: unknown) => {
    if (isRequestScoped(err)) {
      logger.error(ESCAPED_REQUEST_ERROR, { kind, error: describe(err) });
      return;
    }
    logger.error("fatal error; exiting", { kind, error: describe(err) });
    exit(1);
  };
  const onException = onError("uncaughtException");
  const onRejection = onError("unhandledRejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
