/**
 * Why an inference request failed, typed: the HTTP layer maps each reason to a status
 * ({@link inferenceErrorStatus}) and answers `{"detail": message}`.
 */
export type InferenceErrorReason =
  /** The queue is full: answered at once, nothing was queued. */
  | "queue_full"
  /** The request's deadline passed before the worker answered. */
  | "timeout"
  /** The worker died while it held the request (it is restarted; the request is not replayed). */
  | "worker_crashed"
  /** The worker cannot be started. */
  | "unavailable"
  /** The server is shutting down. */
  | "closed"
  /** The model failed on this input (bad export, wrong shapes). */
  | "model_failed"
  /** The view's image cannot be read or decoded. */
  | "bad_image"
  /** No valid model by that name (absent, or its manifest is invalid). */
  | "unknown_model"
  /** The model exists but does another task. */
  | "wrong_task"
  /** The dataset, view or record named does not exist. */
  | "not_found"
  /** The prompt cannot be run (no positive point nor box, mismatched labels). */
  | "bad_prompt";

export class InferenceError extends Error {
  override name = "InferenceError";
  constructor(
    readonly reason: InferenceErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export function inferenceErrorStatus(reason: InferenceErrorReason): number {
  switch (reason) {
    case "queue_full":
    case "worker_crashed":
    case "unavailable":
    case "closed":
      return 503;
    case "timeout":
      return 504;
    case "model_failed":
      return 500;
    case "bad_image":
    case "bad_prompt":
      return 422;
    case "unknown_model":
    case "not_found":
      return 404;
    case "wrong_task":
      return 400;
  }
}
