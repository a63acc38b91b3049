import { afterEach, describe, expect, it } from "vitest";
import { buildDataDir, spawnServer, waitFor, type ServerProcess } from "./support.js";

/**
 * A service manager stopping Tessera signals every process of the unit at once (systemd's default
 * control-group kill, Playwright's and a terminal's process-group signals). The persist worker is
 * the server's child: the server stops it after its last flushes, so a SIGTERM (or SIGINT) that
 * reaches the worker directly must not kill it halfway through a fold, nor make the server start a
 * second worker while it is closing.
 */
describe("the persist worker under a process-group stop", () => {
  let server: ServerProcess | null = null;
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await server?.stop();
    await cleanup?.();
    server = null;
    cleanup = null;
  });

  const workerPids = (logs: string) =>
    [...logs.matchAll(/"message":"persist worker started","pid":(\d+)/g)].map((m) => Number(m[1]));

  for (const signal of ["SIGTERM"] as const) {
    it(`a ${signal} sent to the server and its worker together stops both once, with no worker restart`, async () => {
      const dir = await buildDataDir(["r1"]);
      cleanup = dir.cleanup;
      const s = await spawnServer(dir.dataDir);
      server = s;
      const pid = await waitFor(
        () => workerPids(s.logs())[0] ?? null,
        "the persist worker started with the server",
        30_000,
      );
      await waitFor(
        () => s.logs().includes(`"worker":"persist","pid":${pid},"message":"ready"`),
        "the persist worker ready",
        30_000,
      );
      process.kill(pid, signal);
      await s.kill(signal);
      expect(s.child.exitCode).toBe(0);
      expect(workerPids(s.logs())).toEqual([pid]);
      expect(s.logs()).not.toMatch(/"message":"persist worker exited"[^\n]*"signal":"SIG/);
    });
  }

  it("a server stopped while its worker is still starting stops cleanly and logs no error", async () => {
    const dir = await buildDataDir(["r1"]);
    cleanup = dir.cleanup;
    const s = await spawnServer(dir.dataDir);
    server = s;
    await s.stop();
    expect(s.child.exitCode).toBe(0);
    expect(s.logs()).not.toContain('"level":"error"');
  });
});
