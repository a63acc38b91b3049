import { baseURL, DATASET, expect, shot, test, users } from "./support/fixtures.js";

test("signs in, finds a dataset, filters, sorts and opens a record from the keyboard", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: baseURL() });
  const page = await context.newPage();
  await page.goto("/");

  // Accounts are on: the sign-in form comes first, and a wrong password says so.
  const login = page.getByTestId("login-dialog");
  await expect(login).toBeVisible();
  await shot(page, "01-login");
  await login.locator('input[name="username"]').fill(users.alice.username);
  await login.locator('input[name="password"]').fill("not-the-password");
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login.getByRole("alert")).toContainText(/invalid/i);
  await login.locator('input[name="password"]').fill(users.alice.password);
  await login.getByRole("button", { name: "Sign in" }).click();

  // Library: every dataset the server lists (the four demo datasets, the video file serve.mjs adds, and what
  // earlier specs imported), searchable, with status bars.
  await expect(page.getByTestId("user-menu")).toContainText("Alice");
  const listed = (await (await page.request.get("/datasets")).json()) as unknown[];
  expect(listed.length).toBeGreaterThanOrEqual(5);
  const cards = page.getByTestId("dataset-card");
  await expect(cards).toHaveCount(listed.length);
  await expect(cards.filter({ hasText: DATASET }).locator(".legend")).toContainText("New");
  await shot(page, "02-library");
  await page.getByLabel("Search datasets by name").fill("vqa");
  await expect(cards).toHaveCount(1);
  await page.getByLabel("Search datasets by name").fill("");
  await cards.filter({ hasText: DATASET }).click();

  // Explorer: all 300 records, then only the new ones (the count the REST API gives).
  await expect(page.getByTestId("range")).toHaveText("1–50 of 300");
  const newCount = (
    (await (await page.request.get(`/datasets/${DATASET}/records?filter=status:eq:new&limit=1`)).json()) as {
      total: number;
    }
  ).total;
  await page.getByTestId("add-filter").click();
  const row = page.getByTestId("filter-row");
  await row.getByLabel("Column").selectOption("status");
  await row.getByLabel("Operator").selectOption("eq");
  await row.getByLabel("Value", { exact: true }).selectOption("new");
  await page.getByTestId("apply-filters").click();
  await expect(page.getByTestId("range")).toHaveText(`1–50 of ${newCount}`);
  await expect(page).toHaveURL(/filter=status%3Aeq%3Anew/);
  await expect(page.locator('[data-testid="records-table"] [data-testid="status-chip"]').first()).toHaveAttribute(
    "data-status",
    "new",
  );

  // Sorting by id, descending after a second click (server-side).
  await page.locator('th[data-column="id"]').click();
  await page.locator('th[data-column="id"]').click();
  await expect(page.locator('th[data-column="id"]')).toHaveAttribute("aria-sort", "descending");
  const newest = (
    (await (
      await page.request.get(`/datasets/${DATASET}/records?filter=status:eq:new&sort=id&order=desc&limit=1`)
    ).json()) as { items: Array<{ id: string }> }
  ).items[0]?.id;
  await expect(page.locator("tr.rec td.mono").first()).toHaveText(newest ?? "");
  const ids = await page.locator("tr.rec td.mono").allTextContents();
  expect(ids.length).toBe(50);
  expect([...ids].sort().reverse()).toEqual(ids);
  await shot(page, "03-explorer-filtered");

  // ↓ ↓ Enter opens the third record; its position and neighbours follow the filtered order.
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-record", ids[2] ?? "");
  await expect(page.getByTestId("record-position")).toContainText(`3 / ${newCount}`);
  await expect(page.getByTestId("sync-indicator")).toHaveText("Saved");
  await page.keyboard.press("Shift+ArrowRight");
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-record", ids[3] ?? "");
  await expect(page.getByTestId("record-position")).toContainText(`4 / ${newCount}`);
  await shot(page, "04-workspace");

  // `?` lists the shortcuts; Esc closes the overlay.
  await page.keyboard.press("Shift+?");
  await expect(page.getByTestId("shortcut-help")).toContainText("Undo your last edit (only yours)");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("shortcut-help")).toHaveCount(0);

  // Back keeps the filter.
  await page.getByTestId("back").click();
  await expect(page.getByTestId("range")).toHaveText(`1–50 of ${newCount}`);

  // Next seeks by cursor (after= the last id shown), and shows what the offset page holds.
  const firstPage = await page.locator("tr.rec td.mono").allTextContents();
  const listing = page.waitForRequest((r) => r.url().includes("/records?") && r.url().includes("after="));
  await page.getByRole("button", { name: "Next ›" }).click();
  const sent = new URL((await listing).url());
  expect(sent.searchParams.get("after")).toBe(firstPage.at(-1));
  await expect(page.getByTestId("range")).toHaveText(`51–${Math.min(100, newCount)} of ${newCount}`);
  const byOffset = (
    (await (
      await page.request.get(`/datasets/${DATASET}/records?filter=status:eq:new&sort=id&order=desc&limit=50&offset=50`)
    ).json()) as { items: Array<{ id: string }> }
  ).items.map((r) => r.id);
  await expect(page.locator("tr.rec td.mono")).toHaveText(byOffset);
  await context.close();
});
