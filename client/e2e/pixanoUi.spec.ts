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
 * Pixano 0.8.0's own built web UI (from the `pixano==0.8.0` wheel, `pixano/api/dist`) as a client
 * of Tessera's REST API, in Chromium: a tiny host serves the UI's files and forwards everything
 * else unchanged to a real Tessera process (single-user mode) on a copy of datasets Pixano 0.8.0
 * wrote (fixtures/pixano-built). The UI is Pixano's code: it is read from the virtualenv, never
 * committed, and the check is skipped where no such virtualenv exists (CI has none).
 */

const LIBRARY = path.resolve(import.meta.dirname, "..", "..", "fixtures", "pixano-built", "library");
const FOLDERS = ["image_det", "vqa", "mel"] as const;
type Folder = (typeof FOLDERS)[number];

/** Bugs of Pixano 0.8.0's UI itself, same on a real Pixano server (shared/reference/pixano-ui-as-client.md). */
const KNOWN_UI_BUGS: readonly RegExp[] = [/Cannot read properties of undefined \(reading 'x'\)/];

/** image_det's record with a box and a disc (boxes and masks, no keypoint template: see KNOWN_UI_BUGS). */
const RECORD = "Po5Jf8mO-5J9NDWlYWTuCAucXepNpfq";
const ENTITY = "HAeiMZAv-4VZ5vSJmMccx2ZhIPm46kf";

function datasetId(folder: Folder): string {
  return (JSON.parse(readFileSync(path.join(LIBRARY, folder, "info.json"), "utf8")) as { id: string }).id;
}

reportPixanoUiSkip("pixanoUi.spec");

// The UI loads some 200 files per page: a trace doubles the run (≈ 22 s → 42 s); the failure
// messages and the request tables printed below say what went wrong.
test.use({ trace: "off" });

// Not serial: a failed scenario does not hide the others (Playwright then starts a new worker,
// whose beforeAll starts a new Tessera on a new copy of the fixtures).
test.describe("Pixano 0.8.0's web UI against Tessera", () => {
  test.skip(!HAVE_PIXANO_UI, NO_PIXANO_UI);

  let tessera: TesseraProcess | undefined;
  let host: PixanoUiHost | undefined;
  let log: RequestLog;
  let context: BrowserContext;
  let page: Page;

  test.beforeAll(async () => {
    tessera = await startTessera(LIBRARY, FOLDERS);
    host = await startPixanoUiHost(PIXANO_UI_DIST, tessera.url);
  });

  test.afterAll(async () => {
    await host?.close();
    await tessera?.stop();
  });

  test.beforeEach(async ({ browser }) => {
    if (!host) throw new Error("the UI host did not start");
    log = new RequestLog(host.url, new Map(FOLDERS.map((f) => [datasetId(f), f])));
    context = await browser.newContext({ baseURL: host.url, viewport: { width: 1280, height: 800 } });
    // Pixano's CSS @imports web fonts from the internet: nothing leaves the machine.
    await context.route(
      (url) => url.hostname !== "127.0.0.1",
      (route) => route.fulfill({ status: 200, contentType: "text/css", body: "" }),
    );
    page = await context.newPage();
    log.watch(page);
  });

  // Playwright reads a hook's fixtures from its first parameter's pattern; this one needs none.
  // eslint-disable-next-line no-empty-pattern
  test.afterEach(async ({}, testInfo) => {
    await context.close();
    console.log(`\n[${testInfo.title}] requests the Pixano UI made:\n${log.table()}`);
    if (log.consoleErrors.length > 0) console.log(`console errors:\n  ${log.consoleErrors.join("\n  ")}`);
  });

  /** Tessera's own answer, straight from the server (not through the UI). */
  async function rest<T>(route: string): Promise<T> {
    if (!tessera) throw new Error("Tessera did not start");
    const res = await fetch(`${tessera.url}${route}`);
    expect(res.status, `GET ${route}`).toBe(200);
    return (await res.json()) as T;
  }

  /** Moves the open UI to a hash route without reloading it, as its own links do. */
  async function go(route: string): Promise<void> {
    await page.evaluate((hash) => {
      window.location.hash = hash;
    }, `#${route}`);
  }

  function expectNoFailures(): void {
    expect(log.apiFailures(), "API requests of the UI that Tessera answered ≥ 400").toEqual([]);
    expect(log.unexpectedConsoleErrors(KNOWN_UI_BUGS), "console errors other than known Pixano UI bugs").toEqual([]);
  }

  test("library and explorer pages load with no failed request", async () => {
    const connected = page.waitForResponse((r) => new URL(r.url()).pathname === "/inference/connected");
    await page.goto("/");
    expect((await connected).status()).toBe(200);
    for (const folder of FOLDERS) await expect(page.getByText(folder, { exact: true }).first()).toBeVisible();

    for (const folder of FOLDERS) {
      const id = datasetId(folder);
      const { total, items } = await rest<{ total: number; items: Array<{ id: string }> }>(
        `/datasets/${id}/records?limit=100`,
      );
      expect(total).toBeGreaterThan(0);
      if (folder === "image_det") {
        // As a user does: from the library card.
        await page.getByText(folder, { exact: true }).first().click();
      } else {
        await go(`/explorer/${id}`);
      }
      await expect(page).toHaveURL(new RegExp(`#/explorer/${id}$`));
      await expect(page.getByText(`1–${total} of ${total} records`)).toBeVisible();
      for (const item of items) await expect(page.getByText(item.id, { exact: true }).first()).toBeAttached();
      await go("/");
      await expect(page.getByText(folder, { exact: true }).first()).toBeVisible();
    }

    // The semantic-search button asks for the models (a 404 there breaks the explorer's toolbar).
    await go(`/explorer/${datasetId("image_det")}`);
    const models = page.waitForResponse((r) => new URL(r.url()).pathname === "/inference/models/list");
    await page.getByRole("button", { name: /enable/i }).click();
    expect((await models).status()).toBe(200);
    await expect(page.getByText("1–6 of 6 records")).toBeVisible();

    expect(log.requests.some((r) => r.path.startsWith("/datasets") && r.status === 200)).toBe(true);
    expectNoFailures();
  });

  async function openRecordPanel(): Promise<void> {
    await page.goto(`/#/explorer/${datasetId("image_det")}/workspace/${RECORD}`);
    await expect(page.locator(`#card-object-${ENTITY}`)).toBeVisible();
  }

  test("the status dropdown moves a record through every status, validated → new included", async () => {
    const ds = datasetId("image_det");
    await openRecordPanel();
    await page.getByRole("tab", { name: "Record" }).click();
    const trigger = page.getByRole("button", { name: "Record status" });
    await expect(trigger).toContainText("New");
    // Pixano's values (camelCase in its UI); the last move is not a workflow transition.
    const moves = [
      ["In progress", "inProgress"],
      ["In review", "inReview"],
      ["Validated", "validated"],
      ["New", "new"],
      ["Validated", "validated"],
      ["In progress", "inProgress"],
    ] as const;
    for (const [label, value] of moves) {
      await trigger.click();
      const put = page.waitForResponse(
        (r) => r.request().method() === "PUT" && new URL(r.url()).pathname === `/datasets/${ds}/records/${RECORD}`,
      );
      await page.getByRole("option", { name: label, exact: true }).click();
      const res = await put;
      expect(res.status(), `PUT status ${value}`).toBeGreaterThanOrEqual(200);
      expect(res.status(), `PUT status ${value}`).toBeLessThan(300);
      expect((res.request().postDataJSON() as { status?: unknown }).status).toBe(value);
      expect(((await res.json()) as { status: string }).status).toBe(value);
      await expect(trigger).toContainText(label);
      expect((await rest<{ status: string }>(`/datasets/${ds}/records/${RECORD}`)).status).toBe(value);
    }
    expectNoFailures();
  });

  test("an entity attribute edited in the workspace is saved with Ctrl+S", async () => {
    const ds = datasetId("image_det");
    const before = await rest<{ is_difficult: boolean; category: string; record_id: string }>(
      `/datasets/${ds}/entities/${ENTITY}`,
    );
    expect(before.is_difficult).toBe(true);
    await openRecordPanel();
    const card = page.locator(`#card-object-${ENTITY}`);
    // The card's buttons: highlight, edit (pencil), delete, expand.
    await card.locator("button[data-button-root]").nth(1).click();
    const difficult = card
      .locator("div", { has: page.getByText("is difficult", { exact: true }) })
      .getByRole("checkbox")
      .last();
    await expect(difficult).toHaveAttribute("aria-checked", "true");
    await difficult.click();
    await expect(difficult).toHaveAttribute("aria-checked", "false");
    await expect(page.getByRole("button", { name: /save/i })).toBeVisible();
    // Click a plain label so the focus leaves the checkbox (its keydown handling swallows Ctrl+S), then save.
    await card.getByText(ENTITY, { exact: true }).last().click();
    const put = page.waitForResponse(
      (r) => r.request().method() === "PUT" && new URL(r.url()).pathname === `/datasets/${ds}/entities/${ENTITY}`,
    );
    await page.keyboard.press("Control+s");
    const res = await put;
    expect(res.status()).toBe(200);
    expect(res.request().postDataJSON()).toMatchObject({ is_difficult: false, record_id: RECORD });
    await expect(page.getByRole("button", { name: /save/i })).toBeHidden();
    const after = await rest<{ is_difficult: boolean; category: string; record_id: string }>(
      `/datasets/${ds}/entities/${ENTITY}`,
    );
    expect(after).toEqual({ ...before, is_difficult: false });
    // What the UI reads back when the record is opened again.
    await page.reload();
    await card.locator("button[data-button-root]").nth(1).click();
    await expect(difficult).toHaveAttribute("aria-checked", "false");
    expectNoFailures();
  });

  test("a box drawn in the workspace is saved as a new entity and bbox with Ctrl+S", async () => {
    const ds = datasetId("image_det");
    type Row = Record<string, unknown> & { id: string };
    const list = async (table: string) =>
      (await rest<{ items: Row[] }>(`/datasets/${ds}/${table}?record_id=${RECORD}&limit=1000`)).items;
    const entitiesBefore = new Set((await list("entities")).map((e) => e.id));
    const bboxesBefore = new Set((await list("bboxes")).map((b) => b.id));
    await openRecordPanel();

    // The rectangle tool (second button of the toolbar), a drag on the image, Enter opens the form.
    const canvas = page.locator("canvas").first();
    const area = await canvas.boundingBox();
    if (!area) throw new Error("no canvas");
    await page.keyboard.press("r");
    await page.mouse.move(area.x + area.width * 0.18, area.y + area.height * 0.7);
    await page.mouse.down();
    await page.mouse.move(area.x + area.width * 0.27, area.y + area.height * 0.78, { steps: 5 });
    await page.mouse.move(area.x + area.width * 0.36, area.y + area.height * 0.86, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.press("Enter");
    await expect(page.getByText("Save bounding box")).toBeVisible();
    const size = /(\d+) × (\d+) px/.exec(
      (await page
        .getByText(/\d+ × \d+ px/)
        .first()
        .textContent()) ?? "",
    );
    if (!size) throw new Error("the form shows no box size");
    await page.keyboard.type("crate");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByText("Save bounding box")).toBeHidden();

    const posts = [] as Array<{ path: string; status: number; body: unknown }>;
    page.on("response", (r) => {
      if (r.request().method() === "POST")
        posts.push({
          path: new URL(r.url()).pathname,
          status: r.status(),
          body: r.request().postDataJSON() as unknown,
        });
    });
    await expect(page.getByRole("button", { name: /save/i })).toBeVisible();
    await page.locator("body").click({ position: { x: 1100, y: 60 } });
    await page.keyboard.press("Control+s");
    await expect(page.getByRole("button", { name: /save/i })).toBeHidden();
    await expect.poll(() => posts.length).toBeGreaterThanOrEqual(2);
    for (const p of posts) expect(p.status, `POST ${p.path}`).toBeLessThan(300);

    const newEntities = (await list("entities")).filter((e) => !entitiesBefore.has(e.id));
    const newBoxes = (await list("bboxes")).filter((b) => !bboxesBefore.has(b.id));
    expect(newEntities).toHaveLength(1);
    expect(newBoxes).toHaveLength(1);
    const [entity] = newEntities;
    const [box] = newBoxes;
    expect(entity).toMatchObject({ record_id: RECORD, category: "crate" });
    expect(box).toMatchObject({ record_id: RECORD, entity_id: entity?.id });
    // The saved geometry is the one the form showed (64 × 48 image).
    const coords = box?.coords as number[];
    const [, w, h] = size.map(Number);
    const px = box?.is_normalized ? [coords[2]! * 64, coords[3]! * 48] : [coords[2]!, coords[3]!];
    expect(Math.abs(px[0]! - w!)).toBeLessThanOrEqual(1);
    expect(Math.abs(px[1]! - h!)).toBeLessThanOrEqual(1);
    expectNoFailures();
  });

  test("VQA and entity-linking workspaces show the record's entities, questions and mentions", async () => {
    type Row = Record<string, unknown> & { id: string };
    const cases = [
      {
        folder: "vqa",
        record: "g0CN2xY6-3naADXmBsiMSM9hOXj3N7h",
        texts: ["messages", "content", (m: Row) => m.type === "QUESTION"],
      },
      {
        folder: "mel",
        record: "Cj050zhw-5J9NDWlYWTuCAucXepNpfq",
        texts: ["text-spans", "mention", (t: Row) => !String(t.mention).includes("...")],
      },
    ] as const;
    for (const { folder, record, texts } of cases) {
      const ds = datasetId(folder);
      const entities = (await rest<{ items: Row[] }>(`/datasets/${ds}/entities?record_id=${record}&limit=1000`)).items;
      const [table, field, shown] = texts;
      const strings = (await rest<{ items: Row[] }>(`/datasets/${ds}/${table}?record_id=${record}&limit=1000`)).items
        .filter(shown)
        .map((r) => String(r[field]));
      expect(entities.length, `${folder} entities`).toBeGreaterThan(0);
      expect(strings.length, `${folder} ${table}`).toBeGreaterThan(0);
      const route = `/explorer/${ds}/workspace/${record}`;
      await (page.url().startsWith("http") ? go(route) : page.goto(`/#${route}`));
      for (const e of entities) await expect(page.locator(`#card-object-${e.id}`)).toBeVisible();
      for (const text of strings) await expect(page.getByText(text, { exact: true }).first()).toBeVisible();
    }
    expectNoFailures();
  });
});
