import path from "node:path";

/**
 * Where the CLI writes: injected so tests can run `main()` in-process and capture the output, and
 * so the progress bar knows whether stderr is a terminal.
 */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };
}

/** A path as the user should see it: relative to the working directory when inside it. */
export function displayPath(io: CliIo, p: string): string {
  const rel = path.relative(io.cwd, p);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}

/** Aligned two-column lines (`  name  value`). */
export function table(rows: ReadonlyArray<readonly [string, string]>, indent = "  "): string {
  const w = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(w)}  ${b}`).join("\n");
}

/** Exit codes: 0 ok, 1 runtime error, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** A command's arguments are wrong in a way Commander cannot see (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}
