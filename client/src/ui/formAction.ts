import { createSignal, type Accessor } from "solid-js";

/**
 * A form's submit: busy while it runs, and the server's refusal (its `detail`) kept to show in the
 * form itself rather than as a toast, so it stays next to the fields it is about.
 */
export interface FormAction {
  readonly busy: Accessor<boolean>;
  readonly error: Accessor<string | null>;
  /** Runs `fn`; resolves true when it succeeded, false when it threw an Error (shown in the form). */
  run(fn: () => Promise<void>): Promise<boolean>;
  clear(): void;
}

export function createFormAction(): FormAction {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  return {
    busy,
    error,
    async run(fn) {
      setBusy(true);
      setError(null);
      try {
        await fn();
        return true;
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        setError(err.message);
        return false;
      } finally {
        setBusy(false);
      }
    },
    clear: () => setError(null),
  };
}
