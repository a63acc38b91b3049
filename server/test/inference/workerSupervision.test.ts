import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { buildSegDataDir, postJson, SEG_DS } from "./support.js";

/**
 * The inference worker under pressure and when it dies, seen from outside: the real server, its
 * real worker process, the tiny SAM pair. Test hooks slow each decoder run down
 * (`TESSERA_TEST_INFERENCE_DELAY_MS`) or make the worker SIGKILL itself once
 * (`TESSERA_TEST_INFERENCE_KILL_MARKER`).
 */
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

describe("inference back-pressure and worker crashes", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(env: Record<string, string>): Promise<{ server: ServerProcess; dataDir: string }> {
    const built = await buildSegDataDir();
    cleanups.push(built.cleanup);
    const server = await spawnServer(built.dataDir, env);
    cleanups.push(() => server.stop());
    return { server, dataDir: built.dataDir };
  }

  const click = (server: ServerProcess, x = 30) =>
    postJson(`${server.url}/inference/image_mask_generation`, {
      model: "tiny-sam",
      dataset_id: SEG_DS,
      view_id: "img-0",
      points: [[[x, 30]]],
      labels: [[1]],
    });

  it("a full inference queue answers 503 {detail} at once; the queued requests are answered; /health stays fast", async () => {
    const DELAY = 1500;
    const { server } = await start({
      TESSERA_INFERENCE_CONCURRENCY: "1",
      TESSERA_INFERENCE_MAX_QUEUE: "1",
      TESSERA_TEST_INFERENCE_DELAY_MS: String(DELAY),
    });
    // Warm: the worker is up and the view's embedding cached.
    expect((await click(server)).status).toBe(200);
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => click(server, 10 + i)));
    const health: number[] = [];
    const ok = burst.filter((r) => r.status === 200);
    const refused = burst.filter((r) => r.status === 503);
    // One running + one queued are answered; the other four are refused.
    expect(ok).toHaveLength(2);
    expect(refused).toHaveLength(4);
    for (const r of refused) {
      expect((r.body as { detail: string }).detail).toMatch(/inference queue is full/);
      // At once: long before the slowed decoder could have answered.
      expect(r.ms).toBeLessThan(DELAY / 2);
    }
    // While the worker is busy again, the server answers /health (it never waits on inference).
    const busy = Promise.all([click(server, 50), click(server, 51)]);
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      health.push(performance.now() - t);
    }
    expect((await busy).map((r) => r.status)).toEqual([200, 200]);
    console.log(
      `/health while inference runs: p50 ${pct(health, 50).toFixed(1)} ms, p99 ${pct(health, 99).toFixed(1)} ms`,
    );
    // Never blocked behind the slowed decoder (1.5 s per click): loose enough for a loaded 2-core machine.
    expect(pct(health, 99)).toBeLessThan(DELAY / 2);
  });

  it("a request past its deadline answers 504 {detail} at the deadline; the server keeps serving", async () => {
    const { server } = await start({ TESSERA_INFERENCE_TIMEOUT_MS: "1500", TESSERA_TEST_INFERENCE_DELAY_MS: "6000" });
    const late = await click(server);
    expect(late.status).toBe(504);
    expect((late.body as { detail: string }).detail).toBe("no answer from the model after 1500 ms");
    // Answered at the deadline, not when the slowed decoder finished (6 s).
    expect(late.ms).toBeLessThan(5000);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("a worker killed mid-request fails that request with 503 {detail}, restarts, and the next click works", async () => {
    const built = await buildSegDataDir();
    cleanups.push(built.cleanup);
    const marker = path.join(built.root, "killed-once");
    const server = await spawnServer(built.dataDir, { TESSERA_TEST_INFERENCE_KILL_MARKER: marker });
    cleanups.push(() => server.stop());
    const crashed = await click(server);
    expect(crashed.status).toBe(503);
    expect((crashed.body as { detail: string }).detail).toMatch(/inference worker stopped/);
    expect(server.alive()).toBe(true);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/datasets/${SEG_DS}/images`)).status).toBe(200);
    await waitFor(() => server.logs().includes("inference worker exited"), "the crash was logged");
    const again = await click(server);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    // The embedding the first worker computed survived on disk: the new worker needed no encoder run.
    expect((again.body as { metadata: { embedding: string[] } }).metadata.embedding).toEqual(["disk"]);
  });
});
