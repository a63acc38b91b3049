import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientOrigin, relabel } from "@tessera/shared-crdt";
import { ChildProcessPersister } from "../../src/persist/index.js";
import { ManualClock } from "../sync/support/ManualClock.js";
import { serverSide, type ServerSide } from "./fixture.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw e;
  }
}

describe("ChildProcessPersister on an injected clock", () => {
  let s: ServerSide;
  let persister: ChildProcessPersister | null = null;

  beforeEach(async () => {
    s = await serverSide();
  });
  afterEach(async () => {
    await persister?.close();
    persister = null;
    await s.close();
  });

  it("the restart delay after a worker crash runs on the injected clock, not on wall-clock timers", async () => {
    await s.edit((ctx) => relabel(ctx, clientOrigin("alice"), "e1", "truck"));
    const clock = new ManualClock();
    // No delay for the first start; a minute before restarting a crashed worker.
    const p = new ChildProcessPersister({
      dataDir: s.dataDir,
      workerStderr: "ignore",
      clock,
      restartDelayMs: (n) => (n === 0 ? 0 : 60_000),
    });
    persister = p;
    await p.whenReady();
    const first = p.pid!;
    process.kill(first, "SIGKILL");
    await expect.poll(() => alive(first)).toBe(false);
    await expect.poll(() => p.pid).toBeUndefined();
    // The restart waits on the test's clock: scheduled there, and nothing spawns before it passes.
    expect(clock.pending).toBe(1);
    const flushed = p.flush(s.key);
    expect(clock.pending).toBe(2); // + the flush's answer timeout
    expect(p.pid).toBeUndefined();
    await clock.advance(60_000);
    expect(await flushed).toMatchObject({ upTo: 1, rowsWritten: 1 });
    expect(p.pid).not.toBe(first);
    expect(clock.pending).toBe(0); // the answered flush cancelled its timeout
  });
});
