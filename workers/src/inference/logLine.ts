/**
 * The inference worker's log: one JSON object per line on stderr (stdout stays free), passed
 * through by the server's process supervisor. Levels follow the server's logger.
 */
export type LogLevel = "info" | "warn" | "error";

export function logLine(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level, worker: "inference", pid: process.pid, message, ...fields })}\n`,
  );
}
