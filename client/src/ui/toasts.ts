import { createSignal } from "solid-js";
import { ApiError } from "../api/http.js";

/** Short messages in the corner: errors from the server, status changes by others, follow notices. */
export type ToastKind = "info" | "error" | "status";

interface Toast {
  readonly id: number;
  readonly text: string;
  readonly kind: ToastKind;
}

const [toasts, setToasts] = createSignal<readonly Toast[]>([]);
export { toasts };

let next = 1;
const LIFETIME_MS = { info: 4000, status: 6000, error: 8000 } as const;

export function dismissToast(id: number): void {
  setToasts((list) => list.filter((t) => t.id !== id));
}

export function toast(text: string, kind: ToastKind = "info"): void {
  const id = next++;
  setToasts((list) => [...list.slice(-4), { id, text, kind }]);
  setTimeout(() => dismissToast(id), LIFETIME_MS[kind]);
}

/** Reports a failed request or action; anything that is not an Error is a bug and is rethrown. */
export function toastError(err: unknown, context?: string): void {
  if (!(err instanceof Error)) throw err;
  const detail = err instanceof ApiError ? err.detail : err.message;
  toast(context ? `${context}: ${detail}` : detail, "error");
  if (!(err instanceof ApiError)) console.error(err);
}
