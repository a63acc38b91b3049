/**
 * Polls a server for a state reached in the background (a fold into the rows, a recovery): asks
 * every `everyMs` (50 ms by default) until `check` gives a truthy value, or fails naming `what` at
 * the deadline. Unlike the 5 ms `waitFor` of in-process state, this does not load the server it
 * waits for with hundreds of reads a second.
 */
export async function pollServer<T>(
  check: () => Promise<T>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
