import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { nowMs } from "../clock.js";
import { repoRoot } from "../servers/tessera.js";
import type { ScenarioContext, ScenarioOutput, Table } from "./common.js";

/**
 * `render`: the web client's render benchmark (`client/bench/run.mjs`, owned by the client: it
 * drives the bench page in Chromium and prints JSON), run as a child process and wired into the
 * same report. Skipped with a clear message while the client has not shipped it. Quick: the
 * script's defaults (1,000 and 10,000 annotations, 6 s each); `--full`: 12 s per count.
 */
const SCRIPT = "client/bench/run.mjs";

/** Every JSON value printed on stdout: the whole output if it is one document, else each line that parses. */
function parseJsonOutput(stdout: string): unknown[] {
  const whole = stdout.trim();
  if (whole === "") return [];
  try {
    return [JSON.parse(whole) as unknown];
  } catch (err) {
    // Not one document: fall back to JSON lines (the script may log between results).
    if (!(err instanceof SyntaxError)) throw err;
  }
  const out: unknown[] = [];
  for (const line of whole.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{") && !t.startsWith("[")) continue;
    try {
      out.push(JSON.parse(t) as unknown);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  return out;
}

/** A table of whatever scalar figures the results carry, one row per result object. */
function tableOf(results: readonly unknown[]): Table {
  const objects = results
    .flatMap((r) => (Array.isArray(r) ? r : [r]))
    .filter((r): r is Record<string, unknown> => r !== null && typeof r === "object");
  const flat = objects.map((o) => {
    const row: Record<string, string> = {};
    const walk = (v: unknown, key: string) => {
      if (v !== null && typeof v === "object" && !Array.isArray(v))
        for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
      else if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") row[key] = String(v);
    };
    walk(o, "");
    return row;
  });
  const keys = [...new Set(flat.flatMap((r) => Object.keys(r)))].slice(0, 14);
  return { head: keys, rows: flat.map((r) => keys.map((k) => r[k] ?? "")) };
}

export async function runRender(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const script = `${repoRoot}${SCRIPT}`;
  if (!existsSync(script)) {
    const message = `skipped: ${SCRIPT} does not exist yet (the client's render benchmark has not landed)`;
    ctx.log(`render ${message}`);
    return { json: { scenario: "render", skipped: true, message }, tables: [{ head: ["render"], rows: [[message]] }] };
  }
  const t0 = nowMs();
  const child = spawn(process.execPath, [script, ...(ctx.full ? ["--seconds", "12"] : [])], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-8000);
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  if (code !== 0) throw new Error(`${SCRIPT} exited with ${code}:\n${stderr}`);
  const results = parseJsonOutput(stdout);
  if (results.length === 0) throw new Error(`${SCRIPT} printed no JSON:\n${stdout.slice(-2000)}`);
  return {
    json: { scenario: "render", script: SCRIPT, seconds: Math.round((nowMs() - t0) / 100) / 10, results },
    tables: [tableOf(results)],
  };
}
