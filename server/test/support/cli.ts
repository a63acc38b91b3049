import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The real `tessera` executable for tests: `node bin/tessera.mjs …` as a child process, the way a
 * user runs it. Exit codes: 0 ok, 1 runtime error, 2 usage error.
 */

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** The CLI launcher. */
export const BIN = path.join(ROOT, "bin", "tessera.mjs");

/** What one run of the CLI printed, and how it ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tessera ARGS` from the repository root; `stdin` is written then closed (nothing by default).
 * Started as `npm start` and the Procfile start it, `node --conditions=tessera-dist bin/tessera.mjs`:
 * without the condition the launcher resolves every module through a resolve hook, which costs
 * seconds per run. `plainLauncher` starts it as `npx tessera` does, without the condition.
 */
export function runTessera(
  args: readonly string[],
  options: { readonly stdin?: string; readonly env?: NodeJS.ProcessEnv; readonly plainLauncher?: boolean } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const launch = options.plainLauncher === true ? [BIN] : ["--conditions=tessera-dist", BIN];
    const child = spawn(process.execPath, [...launch, ...args], {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  });
}
