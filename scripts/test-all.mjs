#!/usr/bin/env node
/**
 * `npm test`: every check this repository has, in one command, with one verdict.
 *
 * Suites, in order: the formatter check (`prettier --check`), the type-check (`tsc -b`), the linter (`eslint .`, package boundaries
 * included), the import-cycle check (`scripts/check-imports.mjs`), the dead-code check (`knip`:
 * unused files, exports, exported types and dependencies; unlisted and unresolved imports), the unit and integration tests (`vitest run`),
 * and the browser end-to-end tests (Playwright) once `client/e2e/` exists. Each runs even when an
 * earlier one failed, so one run shows everything that is broken. Test suites report through
 * their JSON reporters; the type-check, the linter and the two checks count as one check each
 * (1 passed or 1 failed). The last line is exactly `N passed, N failed`
 * and the exit code is non-zero when anything failed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const bin = (name) => join(root, "node_modules", ".bin", name);
/** The files the formatter owns (`.prettierignore` leaves out fixtures, builds and prose). */
const FORMATTED = "**/*.{ts,tsx,js,mjs,cjs,css,html,json,jsonc}";
const reportDir = mkdtempSync(join(tmpdir(), "tessera-test-"));

/** Runs a command with inherited stdio; resolves to its exit code (spawn failures count as 1). */
function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${[command, ...args].join(" ")}`);
  return new Promise((resolveCode) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("error", (err) => {
      console.error(`${label}: could not start ${command}: ${err.message}`);
      resolveCode(1);
    });
    child.on("exit", (code, signal) => resolveCode(code ?? (signal ? 1 : 0)));
  });
}

function readJson(path) {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    // A truncated report is a failed suite, reported by the caller; say why here.
    console.error(`cannot parse ${path}: ${err.message}`);
    return null;
  }
}

/** One row of the summary table. */
const results = [];
function record(suite, passed, failed, note = "") {
  results.push({ suite, passed, failed, note });
}
/**
 * What failed, by name, repeated just above the summary: CI keeps only the tail of a long log, and a
 * count without names cannot be acted on.
 */
const failures = [];

async function checkSuite(label, command, args) {
  const code = await run(label, command, args);
  record(label, code === 0 ? 1 : 0, code === 0 ? 0 : 1, code === 0 ? "" : `exit ${code}`);
}

async function vitestSuite() {
  const out = join(reportDir, "vitest.json");
  const code = await run("vitest", bin("vitest"), [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${out}`,
  ]);
  const report = readJson(out);
  if (!report) {
    record("vitest", 0, 1, `no JSON report (exit ${code})`);
    return;
  }
  const passed = report.numPassedTests ?? 0;
  let failed = report.numFailedTests ?? 0;
  // A test file that fails to load has no failed test in it: count the file itself.
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed"),
  );
  failed += brokenFiles.length;
  for (const f of brokenFiles) {
    const line = `vitest: ${f.name} failed to run: ${(f.message ?? "").split("\n")[0]}`;
    console.error(line);
    failures.push(line);
  }
  for (const f of report.testResults ?? [])
    for (const a of f.assertionResults ?? [])
      if (a.status === "failed")
        failures.push(
          `vitest: ${f.name.replace(root + "/", "")} › ${a.fullName ?? a.title}: ${firstLine(a.failureMessages?.[0])}`,
        );
  // Unhandled errors fail the run without failing a test: count them once.
  const note = code !== 0 && failed === 0 ? `exit ${code} with no failed test (unhandled error?)` : "";
  if (note) failed += 1;
  record("vitest", passed, failed, note);
}

function firstLine(text) {
  // Assertion messages carry ANSI colours; the summary is plain text.
  // eslint-disable-next-line no-control-regex
  const plain = String(text ?? "").replace(/\u001b\[[0-9;]*m/g, "");
  return plain.split("\n").find((l) => l.trim() !== "") ?? "";
}

/** Walks Playwright's JSON report (suites → specs → tests → results) for tests that did not pass. */
function collectPlaywrightFailures(suites, path) {
  for (const s of suites) {
    const here = s.title ? [...path, s.title] : path;
    for (const spec of s.specs ?? [])
      for (const t of spec.tests ?? [])
        if (t.status === "unexpected") {
          const last = (t.results ?? []).at(-1);
          failures.push(`playwright: ${[...here, spec.title].join(" › ")}: ${firstLine(last?.error?.message)}`);
        }
    collectPlaywrightFailures(s.suites ?? [], here);
  }
}

async function playwrightSuite() {
  const e2e = join(root, "client", "e2e");
  if (!existsSync(e2e)) {
    console.log("\n=== playwright: skipped (client/e2e does not exist yet)");
    return;
  }
  const config = ["playwright.config.ts", "playwright.config.js", "playwright.config.mjs"]
    .map((f) => join(root, "client", f))
    .find((f) => existsSync(f));
  if (!existsSync(bin("playwright"))) {
    console.error("\n=== playwright: client/e2e exists but @playwright/test is not installed");
    record("playwright", 0, 1, "not installed");
    return;
  }
  const out = join(reportDir, "playwright.json");
  const args = ["test", "--reporter=list,json"];
  if (config) args.push("--config", config);
  const code = await run("playwright", bin("playwright"), args, {
    PLAYWRIGHT_JSON_OUTPUT_NAME: out,
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
  });
  const report = readJson(out);
  if (!report?.stats) {
    record("playwright", 0, 1, `no JSON report (exit ${code})`);
    return;
  }
  const { expected = 0, unexpected = 0, flaky = 0 } = report.stats;
  collectPlaywrightFailures(report.suites ?? [], []);
  let failed = unexpected;
  const note = code !== 0 && failed === 0 ? `exit ${code} with no failed test` : "";
  if (note) failed += 1;
  record("playwright", expected + flaky, failed, note);
}

await checkSuite("format", bin("prettier"), ["--check", "--log-level", "warn", FORMATTED]);
await checkSuite("tsc", bin("tsc"), ["-b"]);
await checkSuite("eslint", bin("eslint"), ["."]);
await checkSuite("imports", process.execPath, [join(root, "scripts", "check-imports.mjs")]);
await checkSuite("knip", bin("knip"), ["--no-progress"]);
await vitestSuite();
await playwrightSuite();
rmSync(reportDir, { recursive: true, force: true });

if (failures.length > 0) {
  console.log("\n=== what failed");
  for (const f of failures) console.log(f.length > 400 ? `${f.slice(0, 400)}…` : f);
}
console.log("\n=== summary");
for (const r of results)
  console.log(
    `${r.suite.padEnd(12)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed ${r.note}`,
  );
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
