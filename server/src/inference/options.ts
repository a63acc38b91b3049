import type { InferenceLimits } from "./InferenceWorkerClient.js";

/** What `startServer` needs to run inference (`false`: no registry routes, no worker). */
export interface InferenceOptions {
  readonly limits?: Partial<InferenceLimits>;
  /** Extra environment for the worker (tests pass hooks). */
  readonly workerEnv?: Readonly<Record<string, string>>;
}

export class InferenceOptionsError extends Error {
  override name = "InferenceOptionsError";
}

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InferenceOptionsError(`${name} must be a positive integer (got ${raw})`);
  return n;
}

/**
 * `TESSERA_INFERENCE_CONCURRENCY` (requests in the worker at once, default 2),
 * `TESSERA_INFERENCE_MAX_QUEUE` (waiting beyond those before 503, default 32),
 * `TESSERA_INFERENCE_TIMEOUT_MS` (a request's deadline, default 30000). The worker itself reads
 * `TESSERA_INFERENCE_PROVIDERS` and `TESSERA_EMBEDDING_{MEMORY,DISK}_MB` (`workers/src/inference/main.ts`).
 */
export function inferenceOptionsFromEnv(env: NodeJS.ProcessEnv): InferenceOptions {
  const concurrency = positiveInt(env, "TESSERA_INFERENCE_CONCURRENCY");
  const maxQueue = positiveInt(env, "TESSERA_INFERENCE_MAX_QUEUE");
  const timeoutMs = positiveInt(env, "TESSERA_INFERENCE_TIMEOUT_MS");
  return {
    limits: {
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(maxQueue !== undefined ? { maxQueue } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    },
  };
}
