/**
 * The server's logging port. Handlers never write to the console directly: the composition root
 * chooses the sink (JSON lines on stderr in production, a silent or capturing logger in tests).
 */
export interface Logger {
  info(message: string, context?: Readonly<Record<string, unknown>>): void;
  warn(message: string, context?: Readonly<Record<string, unknown>>): void;
  error(message: string, context?: Readonly<Record<string, unknown>>): void;
}

/** One JSON object per line on stderr: greppable, and safe to ship to any log collector. */
export function jsonLinesLogger(write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const emit = (level: string, message: string, context?: Readonly<Record<string, unknown>>) => {
    write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...context })}\n`);
  };
  return {
    info: (m, c) => emit("info", m, c),
    warn: (m, c) => emit("warn", m, c),
    error: (m, c) => emit("error", m, c),
  };
}

/** Drops everything; the default for embedded use and tests that do not inspect logs. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
