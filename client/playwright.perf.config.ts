import { defineConfig } from "@playwright/test";
import base from "./playwright.config.js";

/**
 * Client measurements that need the real server (accounts, live peers): the e2e set-up, but only
 * `e2e/perf/*.perf.ts`, which print figures for load-tests/RESULTS.md instead of checking behaviour.
 * `npx playwright test -c playwright.perf.config.ts` from `client/`; not part of `npm test`.
 */
export default defineConfig({ ...base, testDir: "e2e/perf", testMatch: "*.perf.ts" });
