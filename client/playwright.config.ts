import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests of the web client against the real server (`e2e/support/serve.mjs`: demo
 * library in a temp DATA_DIR, accounts on, test users created), in Debian's Chromium. The server
 * picks a free port; Playwright reads it from the ready line into TESSERA_E2E_PORT.
 * One worker: each scenario already drives two or three browsers at once on a 2-core machine.
 */
export default defineConfig({
  testDir: "e2e",
  testMatch: "*.spec.ts",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    viewport: { width: 1280, height: 800 },
    actionTimeout: 10_000,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: "node e2e/support/serve.mjs",
    cwd: import.meta.dirname,
    wait: { stdout: /TESSERA_E2E ready on port (?<tessera_e2e_port>\d+)/ },
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
  },
});
