import type { SyncLimits } from "./limits.js";

export class SyncLimitsEnvError extends Error {
  override name = "SyncLimitsEnvError";
}

/** Environment variable → the sync limit it sets. */
const SYNC_LIMIT_ENV = {
  TESSERA_WS_INTAKE_PAUSE_FRAMES: "intakePauseFrames",
  TESSERA_WS_INTAKE_PAUSE_BYTES: "intakePauseBytes",
  TESSERA_WS_MAX_PENDING_FRAMES: "maxPendingFrames",
  TESSERA_WS_MAX_PENDING_BYTES: "maxPendingBytes",
  TESSERA_WS_INTAKE_BATCH_FRAMES: "intakeBatchFrames",
  TESSERA_WS_INTAKE_SLICE_MS: "intakeSliceMs",
  TESSERA_WS_AWARENESS_ENTRIES_PER_FRAME: "maxAwarenessEntriesPerFrame",
  TESSERA_WS_AWARENESS_CLIENTS_PER_CONNECTION: "maxAwarenessClientsPerConnection",
  TESSERA_WS_PER_RECORD: "maxConnectionsPerRecord",
} as const satisfies Record<string, keyof SyncLimits>;

/**
 * The sync limits a composition root (`npm start`, `tessera server run`) takes from its
 * environment (see {@link SYNC_LIMIT_ENV}); unset ones keep their defaults. A value that is not a
 * positive integer is an error, not a silent default.
 */
export function syncLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<SyncLimits> {
  const out: Partial<Record<keyof SyncLimits, number>> = {};
  for (const [name, field] of Object.entries(SYNC_LIMIT_ENV)) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new SyncLimitsEnvError(`${name} must be a positive integer (got ${JSON.stringify(raw.slice(0, 16))})`);
    out[field] = n;
  }
  return out;
}
