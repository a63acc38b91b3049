import { processIo } from "./cli/output.js";
import { runServer } from "./cli/commands/serverRun.js";

/**
 * `tessera server run` with no flags: every setting from the environment (DATA_DIR, HOST, PORT,
 * TESSERA_*: see `serverOptions.ts`). The tests boot this file through tsx
 * (`node --import tsx server/src/main.ts` with DATA_DIR/HOST/PORT=0); production runs the CLI
 * (`bin/tessera.mjs server run`, compiled). Both are the same composition root, `runServer`.
 */
runServer(processIo(), {}).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`tessera: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
