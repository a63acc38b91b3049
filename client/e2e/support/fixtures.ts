import { mkdirSync } from "node:fs";
import path from "node:path";
import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import users from "./users.json" with { type: "json" };

/**
 * Fixtures of the e2e suite: the server's URL (from the ready line), one signed-in browser context
 * per test user (alice and bob annotate, rita reviews), and helpers that read the record document
 * through the client's test hook (`window.__tessera`) for geometry the DOM does not show.
 */
export type UserName = "alice" | "bob" | "rita";

export function baseURL(): string {
  const port = process.env.TESSERA_E2E_PORT;
  if (!port)
    throw new Error("TESSERA_E2E_PORT is not set: run through playwright.config.ts (its webServer starts the server)");
  return `http://127.0.0.1:${port}`;
}

export const SCREENSHOTS = path.join(import.meta.dirname, "..", "screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

const DOCS_SCREENSHOTS = path.join(import.meta.dirname, "..", "..", "..", "docs", "screenshots");

/**
 * A screenshot the README shows (`docs/screenshots/<name>.png`): written there only when
 * `TESSERA_DOCS_SCREENSHOTS=1` (`TESSERA_DOCS_SCREENSHOTS=1 npx playwright test`), so a test run
 * leaves the tracked files alone; otherwise beside the other e2e screenshots, as `docs-<name>.png`.
 */
export async function docsShot(page: Page, name: string): Promise<void> {
  const target =
    process.env.TESSERA_DOCS_SCREENSHOTS === "1"
      ? path.join(DOCS_SCREENSHOTS, `${name}.png`)
      : path.join(SCREENSHOTS, `docs-${name}.png`);
  mkdirSync(path.dirname(target), { recursive: true });
  await page.screenshot({ path: target });
}

/** A browser context signed in as `who` (the session cookie comes from POST /auth/login). */
export async function signedIn(browser: Browser, who: UserName): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1280, height: 800 } });
  const u = users[who];
  const res = await context.request.post("/auth/login", { data: { username: u.username, password: u.password } });
  expect(res.ok(), `login of ${who}`).toBe(true);
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[${who}] page error: ${err.message}`));
  return { context, page };
}

interface Fixtures {
  alice: Page;
  bob: Page;
  rita: Page;
}

export const test = base.extend<Fixtures>({
  // Playwright reads a fixture's dependencies from its first parameter's pattern; this one has none.
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use) => use(baseURL()),
  alice: async ({ browser }, use) => {
    const { context, page } = await signedIn(browser, "alice");
    await use(page);
    await context.close();
  },
  bob: async ({ browser }, use) => {
    const { context, page } = await signedIn(browser, "bob");
    await use(page);
    await context.close();
  },
  rita: async ({ browser }, use) => {
    const { context, page } = await signedIn(browser, "rita");
    await use(page);
    await context.close();
  },
});

export { expect, users };

export const DATASET = "demo_image";

/** The n-th record of the demo image dataset in a status (deterministic: the demo is seeded). */
export async function recordInStatus(page: Page, status: string, n: number): Promise<string> {
  const res = await page.request.get(
    `/datasets/${DATASET}/records?filter=status:eq:${status}&sort=id&order=asc&limit=1&offset=${n}`,
  );
  expect(res.ok()).toBe(true);
  const body = (await res.json()) as { items: Array<{ id: string }> };
  const id = body.items[0]?.id;
  if (!id) throw new Error(`no ${status} record #${n}`);
  return id;
}

export function workspaceUrl(recordId: string, query = ""): string {
  return `/#/explorer/${DATASET}/workspace/${recordId}${query}`;
}

/** Opens a record and waits until its document is synced and saved. */
export async function openRecord(page: Page, recordId: string, query = ""): Promise<void> {
  await page.goto(workspaceUrl(recordId, query));
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-record", recordId);
  await expect(page.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved|readOnly/);
}

/** Rows of a table in the page's record document (test hook). */
export function docRows(page: Page, table: string): Promise<Array<Record<string, unknown>>> {
  return page.evaluate((t) => {
    const hook = (
      window as unknown as {
        __tessera?: { doc: { getMap(n: string): Map<string, { toJSON(): Record<string, unknown> }> } };
      }
    ).__tessera;
    if (!hook) return [];
    return [...hook.doc.getMap(t).values()].map((m) => m.toJSON());
  }, table);
}

/** True when the PixiJS canvas module is part of this build and mounted. */
export function canvasMounted(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const hook = (window as unknown as { __tessera?: { controller(): unknown } }).__tessera;
    return !!hook && hook.controller() !== null;
  });
}

/** Screen point at fractions (0..1) of the first view's image as the canvas fits it in the stage. */
export async function imagePoint(page: Page, fx: number, fy: number): Promise<[number, number]> {
  const p = await page.evaluate(
    ([x, y]) => {
      const hook = (window as unknown as { __tessera?: { controller(): unknown } }).__tessera;
      const c = hook?.controller() as {
        camera: { x: number; y: number; zoom: number };
        scene: { tiles: Array<{ x: number; y: number; width: number; height: number }> };
      };
      const t = c.scene.tiles[0];
      if (!t) return null;
      return [c.camera.x + (t.x + x * t.width) * c.camera.zoom, c.camera.y + (t.y + y * t.height) * c.camera.zoom];
    },
    [fx, fy] as const,
  );
  const host = await page.getByTestId("canvas-host").boundingBox();
  if (!p || !host) throw new Error("no canvas");
  return [host.x + (p[0] ?? 0), host.y + (p[1] ?? 0)];
}
