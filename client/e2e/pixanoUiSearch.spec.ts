import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import {
  HAVE_PIXANO_UI,
  NO_PIXANO_UI,
  PIXANO_UI_DIST,
  reportPixanoUiSkip,
  startPixanoUiHost,
  type PixanoUiHost,
} from "./support/pixanoUiHost.js";
import { RequestLog } from "./support/requestLog.js";
import { startTessera, type TesseraProcess } from "./support/tesseraProcess.js";

/**
 * Pixano 0.8.0's own web UI (the wheel's `pixano/api/dist`, read from the virtualenv, never
 * committed) against Tessera with the tiny CLIP pair registered (scripts/tiny-clip.mjs): its
 * inference-server status (`GET /inference/connected`), its semantic-search "ENABLE" (models list →
 * `POST /embeddings/compute` → `GET /io/jobs/{id}` polled until done) and its semantic search
 * (`POST /records/search`). Skipped where no such virtualenv exists (CI has none).
 */
const ROOT = path.resolve(import.meta.dirname, "..", "..");
const LIBRARY = path.join(ROOT, "fixtures", "pixano-built", "library");
const DATASET = (JSON.parse(readFileSync(path.join(LIBRARY, "image_det", "info.json"), "utf8")) as { id: string }).id;

reportPixanoUiSkip("pixanoUiSearch.spec");

test.use({ trace: "off" });

test.describe("Pixano 0.8.0's semantic search against Tessera", () => {
  test.skip(!HAVE_PIXANO_UI, NO_PIXANO_UI);

  let tessera: TesseraProcess | undefined;
  let host: PixanoUiHost | undefined;
  let context: BrowserContext;
  let page: Page;
  let log: RequestLog;

  test.beforeAll(async () => {
    tessera = await startTessera(LIBRARY, ["image_det"]);
    execFileSync(process.execPath, [
      path.join(ROOT, "scripts", "tiny-clip.mjs"),
      path.join(tessera.dataDir, "models", "tiny-clip"),
    ]);
    host = await startPixanoUiHost(PIXANO_UI_DIST, tessera.url);
  });

  test.afterAll(async () => {
    await host?.close();
    await tessera?.stop();
  });

  test("inference status connected; ENABLE computes the embeddings as a job; the semantic search answers", async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    if (!host) throw new Error("the UI host did not start");
    log = new RequestLog(host.url, new Map([[DATASET, "image_det"]]));
    context = await browser.newContext({ baseURL: host.url, viewport: { width: 1280, height: 800 } });
    await context.route(
      (url) => url.hostname !== "127.0.0.1",
      (route) => route.fulfill({ status: 200, contentType: "text/css", body: "" }),
    );
    page = await context.newPage();
    log.watch(page);

    const connected = page.waitForResponse((r) => new URL(r.url()).pathname === "/inference/connected");
    await page.goto(`/#/explorer/${DATASET}`);
    const status = await connected;
    expect(status.status()).toBe(200);
    expect(await status.json()).toMatchObject({ connected: true, default_provider: "tessera" });

    const models = page.waitForResponse((r) => new URL(r.url()).pathname === "/inference/models/list");
    const compute = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/embeddings/compute"));
    const done = page.waitForResponse(
      async (r) =>
        /^\/io\/jobs\/[^/]+$/.test(new URL(r.url()).pathname) &&
        ((await r.json()) as { status: string }).status === "done",
      { timeout: 90_000 },
    );
    await page.getByRole("button", { name: /enable/i }).click();
    const listed = (await (await models).json()) as Array<{ name: string; task: string }>;
    expect(listed).toContainEqual(expect.objectContaining({ name: "tiny-clip", task: "embedding" }));
    expect((await compute).status()).toBe(202);
    expect(((await (await done).json()) as { kind: string }).kind).toBe("embed");
    // Semantic search is now offered: no more ENABLE button.
    await expect(page.getByRole("button", { name: /^enable$/i })).toHaveCount(0);

    const searched = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/records/search"));
    await page.evaluate(() => {
      window.location.hash = `${window.location.hash.split("?")[0]}?q=red&semantic=1`;
    });
    const answer = await searched;
    expect(answer.status()).toBe(200);
    const body = (await answer.json()) as { mode: string; items: Array<{ id: string }> };
    expect(body.mode).toBe("text");
    expect(body.items.length).toBeGreaterThan(0);
    await expect(page.getByText(body.items[0]!.id, { exact: true }).first()).toBeAttached();
    expect(log.apiFailures(), "API requests of the UI that Tessera answered ≥ 400").toEqual([]);
    await context.close();
  });
});
