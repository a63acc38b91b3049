import os from "node:os";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssignProgress, AssignResult, NextForMe } from "@tessera/shared-crdt/api";
import { percentile } from "../auth/support.js";
import { startCampaign, type Campaign } from "./support.js";

/**
 * Assignments at campaign size (SPEC AS2, AS5, AS8) on a real server process: 3,000 records assigned in one
 * request by filter, then "next for me" and progress asked repeatedly. Figures are printed with the load average;
 * the bounds leave room for a loaded 2-core machine.
 */

const N = 3000;
const RECORDS = Array.from({ length: N }, (_, i) => `rec${String(i).padStart(5, "0")}`);
let c: Campaign;

beforeAll(async () => {
  c = await startCampaign(RECORDS);
}, 120_000);

afterAll(async () => {
  await c?.close();
});

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

describe("assignments at campaign size", () => {
  it("AS2/AS5/AS8: 3,000 records assigned by filter in one request; next-for-me and progress stay fast", async () => {
    const lead = c.as("admin");
    const assign = await timed(() =>
      lead.send("POST", "/assignments", { filter: { filter: ["split:eq:train"] }, annotators: ["alice", "bob"] }),
    );
    expect(assign.value.status).toBe(200);
    expect((assign.value.body as unknown as AssignResult).per_person.map((p) => p.count)).toEqual([N / 2, N / 2]);

    const next: number[] = [];
    const progress: number[] = [];
    for (let i = 0; i < 30; i++) {
      const n = await timed(() => c.as("alice").get("/assignments/next-for-me"));
      expect((n.value.body as unknown as NextForMe).remaining).toBe(N / 2);
      next.push(n.ms);
      const p = await timed(() => c.as("vic").get("/assignments/progress"));
      expect((p.value.body as unknown as AssignProgress).people[0]?.assigned).toBe(N / 2);
      progress.push(p.ms);
    }
    next.sort((a, b) => a - b);
    progress.sort((a, b) => a - b);
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms`;
    console.log(
      `assign ${N} by filter: ${assign.ms.toFixed(0)} ms; next-for-me ${fmt(next)}; progress ${fmt(progress)}; ` +
        `load ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}`,
    );
    expect(assign.ms).toBeLessThan(10_000);
    expect(percentile(next, 99)).toBeLessThan(2_000);
    expect(percentile(progress, 99)).toBeLessThan(2_000);
  }, 120_000);
});
