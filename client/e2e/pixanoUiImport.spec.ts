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
 * Pixano 0.8.0's own web UI (from the `pixano==0.8.0` wheel) imports a dataset into Tessera
 * through `/io/*`: its import wizard uploads a folder from this machine (`POST /io/uploads`, one
 * `PUT` per file), analyzes it (`POST /io/analyze`), starts the import (`POST /io/imports`) and
 * polls the job (`GET /io/jobs/{id}`) until it is done; the dataset is then listed and opens. The
 * UI is read from the virtualenv, never committed; skipped where it is absent (CI has none).
 */

const LIBRARY = path.resolve(import.meta.dirname, "..", "..", "fixtures", "pixano-built", "library");
const SOURCE = path.resolve(import.meta.dirname, "..", "..", "fixtures", "pixano-built", "sources", "image_det");
const SHOTS = process.env.PIXANO_IMPORT_SHOTS ?? "";
const NAME = "From Pixano UI";

reportPixanoUiSkip("pixanoUiImport.spec");

test.use({ trace: "off" });

test.describe("Pixano 0.8.0's import wizard against Tessera", () => {
  test.skip(!HAVE_PIXANO_UI, NO_PIXANO_UI);

  let tessera: TesseraProcess | undefined;
  let host: PixanoUiHost | undefined;
  let context: BrowserContext;
  let page: Page;
  let log: RequestLog;

  test.beforeAll(async () => {
    tessera = await startTessera(LIBRARY, ["vqa"]);
    host = await startPixanoUiHost(PIXANO_UI_DIST, tessera.url);
  });

  test.afterAll(async () => {
    await host?.close();
    await tessera?.stop();
  });

  test("uploads a folder, analyzes it, imports it; the dataset is listed and opens", async ({ browser }) => {
    test.setTimeout(180_000);
    if (!host || !tessera) throw new Error("the UI host did not start");
    log = new RequestLog(host.url, new Map());
    context = await browser.newContext({ baseURL: host.url, viewport: { width: 1280, height: 900 } });
    await context.route(
      (url) => url.hostname !== "127.0.0.1",
      (route) => route.fulfill({ status: 200, contentType: "text/css", body: "" }),
    );
    page = await context.newPage();
    log.watch(page);
    const shot = async (name: string) => {
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
    };
    try {
      await page.goto("/");
      await expect(page.getByText("vqa", { exact: true }).first()).toBeVisible();
      await page.getByRole("button", { name: /import/i }).click();
      // The wizard lists the formats Tessera imports (LeRobot is greyed out: not offered).
      await expect(page.getByText("Pixano dataset", { exact: true }).first()).toBeVisible();
      await page.getByText("Pixano dataset", { exact: true }).first().click();
      await shot("01-format");

      // "Choose a folder": the folder streams into an upload session, one PUT per file.
      const uploaded = page.waitForResponse(
        (r) => r.request().method() === "PUT" && r.url().endsWith("/files/train/metadata.jsonl"),
      );
      await page.locator('input[type="file"]').first().setInputFiles(SOURCE);
      expect((await uploaded).status()).toBe(200);
      await expect(page.getByText(/9 files .* uploaded/)).toBeVisible();
      await page.getByPlaceholder("image_det").fill(NAME);

      // Review: the plan from POST /io/analyze, rendered by Pixano's own review step.
      const analyzed = page.waitForResponse((r) => new URL(r.url()).pathname === "/io/analyze");
      await page.getByRole("button", { name: /review import/i }).click();
      expect((await analyzed).status()).toBe(200);
      await expect(page.getByText(NAME).first()).toBeVisible();
      await expect(page.getByText("train: 4")).toBeVisible();
      await expect(page.getByText("capture_hour", { exact: true })).toBeVisible();
      await shot("02-review");

      // Start: POST /io/imports, then the UI polls GET /io/jobs/{id} until the job is done.
      const started = page.waitForResponse((r) => new URL(r.url()).pathname === "/io/imports");
      const finished = page.waitForResponse(
        async (r) =>
          /^\/io\/jobs\/[^/]+$/.test(new URL(r.url()).pathname) &&
          ((await r.json()) as { status: string }).status === "done",
        { timeout: 120_000 },
      );
      await page.getByRole("button", { name: /start import/i }).click();
      expect((await started).status()).toBe(202);
      const job = (await (await finished).json()) as {
        dataset: string;
        progress: { table_counts: Record<string, number> };
      };
      expect(job.progress.table_counts.records).toBe(6);
      await shot("03-done");

      // Listed by Tessera, shown in Pixano's library, and it opens in Pixano's explorer.
      const listed = (await (await fetch(`${tessera.url}/datasets`)).json()) as { id: string; name: string }[];
      const created = listed.find((d) => d.name === NAME);
      expect(created?.id).toBe(job.dataset);
      await page.goto("/");
      await page.getByText(NAME, { exact: true }).first().click();
      await expect(page).toHaveURL(new RegExp(`#/explorer/${job.dataset}$`));
      await expect(page.getByText("1–6 of 6 records")).toBeVisible();
      await shot("04-explorer");
      expect(log.apiFailures(), "API requests of the UI that Tessera answered ≥ 400").toEqual([]);
    } finally {
      console.log(`requests the Pixano UI made:\n${log.table()}`);
      await context.close();
    }
  });
});
