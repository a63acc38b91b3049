import * as fs from "node:fs";

/**
 * The crash hook of the persist worker processes, from their environment (tests only, never set in
 * production): `TESSERA_TEST_PERSIST_KILL_AT_STEP=N` makes the process SIGKILL itself right before
 * the N-th durable step of a persist (a crash at that point); with
 * `TESSERA_TEST_PERSIST_KILL_MARKER=<file>` it does so only once, creating that file first; with
 * `TESSERA_TEST_PERSIST_KILL_MIN_RECORDS=M` only in a batch folding at least M records.
 */
export function killHook(env: NodeJS.ProcessEnv): ((step: { index: number; records: number }) => void) | undefined {
  const at = Number(env.TESSERA_TEST_PERSIST_KILL_AT_STEP);
  if (!Number.isInteger(at) || at < 1) return undefined;
  const marker = env.TESSERA_TEST_PERSIST_KILL_MARKER;
  const minRecords = Number(env.TESSERA_TEST_PERSIST_KILL_MIN_RECORDS ?? 1);
  return (step) => {
    if (step.index !== at || step.records < minRecords) return;
    if (marker) {
      if (fs.existsSync(marker)) return;
      fs.writeFileSync(marker, String(process.pid));
    }
    process.kill(process.pid, "SIGKILL");
  };
}
