import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BenchArgsError, parseBenchArgs } from "../src/benchArgs.js";

const loadTests = fileURLToPath(new URL("..", import.meta.url));

/** Runs the bench CLI as `npm run bench` does (tsx src/run.ts); resolves at exit, or kills it at the deadline. */
function runBench(
  args: readonly string[],
  deadlineMs: number,
): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/run.ts", ...args], {
      cwd: loadTests,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let timedOut = false;
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, deadlineMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, timedOut });
    });
  });
}

describe("bench CLI options (util.parseArgs, strict)", () => {
  it("a misspelt option is an error, not a run with the defaults", async () => {
    // Before: `--client` was ignored and a 50-client fanout benchmark started.
    const r = await runBench(["fanout", "--client", "3"], 30_000);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--client/);
    expect(r.stderr).toMatch(/usage: npm run bench/);
  });

  it("refuses an option of another scenario, a missing value and a stray positional", () => {
    expect(() => parseBenchArgs(["rooms", "--clients", "5"])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(["fanout", "--clients"])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(["fanout", "5"])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(["fanot"])).toThrow(/unknown scenario "fanot"/);
    expect(() => parseBenchArgs(["join", "--seed", "x"])).toThrow(/--seed needs an integer/);
  });

  it("accepts each scenario's own options and the common ones, and keeps them for the scenario", () => {
    const a = parseBenchArgs(["fanout", "--clients", "80", "--json", "--seed", "7", "--at", "HEAD~1"]);
    expect(a).toMatchObject({ scenarios: ["fanout"], json: true, full: false, seed: 7, at: "HEAD~1" });
    expect(a.rest).toEqual(["--clients", "80", "--json", "--seed", "7", "--at", "HEAD~1"]);
    expect(parseBenchArgs(["browse", "--rebuild", "--records", "1000"]).scenarios).toEqual(["browse"]);
    // The `=` form reaches the scenario as two arguments, as `numberOption` reads them.
    expect(parseBenchArgs(["rooms", "--rooms=300", "--full"]).rest).toEqual(["--rooms", "300", "--full"]);
    // `all` takes any scenario's options.
    expect(parseBenchArgs(["all", "--rooms", "10", "--clients", "5"]).scenarios).toEqual([
      "fanout",
      "rooms",
      "persist",
      "join",
      "crash",
      "browse",
      "import",
      "render",
      "attacks",
      "inference",
      "preannotate",
      "track",
      "embed",
      "cluster",
    ]);
  });
});
