/**
 * The worker's log: one JSON object per line on stderr (stdout stays free), which the server's
 * process supervisor passes through. Levels follow the server's logger.
 */
export type LogLevel = "info" | "warn" | "error";

export function logLine(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level, worker: "persist", pid: process.pid, message, ...fields })}\n`,
  );
}
