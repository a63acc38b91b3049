import type { Page } from "@playwright/test";
import { DATASET, expect, openRecord, recordInStatus, test } from "./support/fixtures.js";

/**
 * Small things users hit: Esc leaves a text field so the shortcuts work again, the
 * explorer comes back where it was after a record, the object list shows ids.
 */

const activeTag = (page: Page) => page.evaluate(() => document.activeElement?.tagName ?? "");

test("Esc leaves the explorer's search box: focus goes back to the page and the arrow keys move again", async ({
  alice,
}) => {
  await alice.goto(`/#/explorer/${DATASET}`);
  await expect(alice.getByTestId("range")).toHaveText("1–50 of 300");
  await expect(alice.locator('tr.rec[data-index="0"]')).toHaveClass(/active/);
  await alice.getByTestId("search").click();
  await alice.keyboard.press("Escape");
  expect(await activeTag(alice)).not.toBe("INPUT");
  await alice.keyboard.press("ArrowDown");
  await expect(alice.locator('tr.rec[data-index="1"]')).toHaveClass(/active/);
  await expect(alice.getByTestId("search")).toHaveValue("");
});

test("Esc leaves the workspace's text fields: a tool key then picks the tool instead of typing", async ({ alice }) => {
  await openRecord(alice, await recordInStatus(alice, "new", 7));
  const filter = alice.getByLabel("Filter objects");
  await filter.fill("zz");
  await alice.keyboard.press("Escape");
  expect(await activeTag(alice)).not.toBe("INPUT");
  await alice.keyboard.press("r");
  await expect(alice.locator('[data-tool="bbox"]')).toHaveAttribute("aria-pressed", "true");
  // The field keeps what was typed (Esc leaves it, it does not clear it).
  await expect(filter).toHaveValue("zz");
});

test("the explorer keeps its page and scroll position when you come back from a record", async ({ alice }) => {
  await alice.goto(`/#/explorer/${DATASET}`);
  await expect(alice.getByTestId("range")).toHaveText("1–50 of 300");
  await alice.getByRole("button", { name: "Next ›" }).click();
  await expect(alice.getByTestId("range")).toHaveText("51–100 of 300");
  const scroller = alice.getByTestId("records-scroll");
  const row = alice.locator('tr.rec[data-index="30"]');
  await row.scrollIntoViewIfNeeded();
  const scrolled = await scroller.evaluate((el) => el.scrollTop);
  expect(scrolled).toBeGreaterThan(300);
  const recordId = await row.getAttribute("data-record");
  await row.click();
  await expect(alice.getByTestId("workspace")).toHaveAttribute("data-record", recordId ?? "");
  await alice.getByTestId("back").click();
  await expect(alice.getByTestId("range")).toHaveText("51–100 of 300");
  await expect.poll(() => scroller.evaluate((el) => el.scrollTop)).toBe(scrolled);
});

test("the object list shows each object's id", async ({ alice }) => {
  const res = await alice.request.get(`/datasets/${DATASET}/entities?limit=1`);
  expect(res.ok()).toBe(true);
  const entity = ((await res.json()) as { items: Array<{ id: string; record_id: string }> }).items[0];
  if (!entity) throw new Error("the demo dataset has no entity");
  await openRecord(alice, entity.record_id);
  const row = alice.locator(`[data-testid="object-row"][data-entity="${entity.id}"]`);
  await expect(row.getByTestId("object-id")).toHaveText(entity.id.slice(0, 8));
  await expect(row.getByTestId("object-id")).toHaveAttribute("title", entity.id);
});
