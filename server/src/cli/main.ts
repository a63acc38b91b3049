import { CommanderError } from "commander";
import { ExportError, formatLocation, ImportError } from "./datasetIo.js";
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE, processIo, UsageError, type CliIo } from "./output.js";
import { buildProgram } from "./program.js";
import { AuthEnvError } from "../auth/index.js";
import { AllowedHostsError } from "../http/hosts.js";
import { ServerConfigError } from "../serverOptions.js";
import { SyncLimitsEnvError } from "../sync/limitsEnv.js";
import { InferenceOptionsError } from "../inference/options.js";

/** An environment variable of `server run` is invalid (its message names it): a usage error. */
function isConfigError(err: unknown): err is Error {
  return (
    err instanceof ServerConfigError ||
    err instanceof AuthEnvError ||
    err instanceof AllowedHostsError ||
    err instanceof SyncLimitsEnvError ||
    err instanceof InferenceOptionsError
  );
}

/**
 * Entry point of `tessera` (run by `bin/tessera.mjs`). Returns the exit code instead of exiting,
 * so tests can call it in-process; input problems are printed as `file:line[:pointer]: message`.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT_OK;
      // Commander has already printed the message (and a usage hint).
      return EXIT_USAGE;
    }
    if (err instanceof UsageError || isConfigError(err)) {
      io.stderr.write(`tessera: error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ImportError && err.location) {
      io.stderr.write(`${formatLocation(err.location)}: ${err.detail}\n`);
      return EXIT_ERROR;
    }
    if (err instanceof ImportError || err instanceof ExportError) {
      io.stderr.write(`tessera: error: ${err.message}\n`);
      return EXIT_ERROR;
    }
    io.stderr.write(`tessera: error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_ERROR;
  }
}
