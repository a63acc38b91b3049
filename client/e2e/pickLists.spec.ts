import type { Page } from "@playwright/test";
import { DATASET, docsShot, expect, test } from "./support/fixtures.js";

/**
 * The explorer's filter builder offers a column's known values as a pick-list with record counts (the dataset's
 * `features_values` pick-list for the demo's `weather`, status, split), on the real server in real Chromium; a
 * column of ids or dates keeps its free text box (ids with suggestions).
 */

async function total(page: Page, filter: string): Promise<number> {
  const res = await page.request.get(`/datasets/${DATASET}/records?filter=${encodeURIComponent(filter)}&limit=1`);
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { total: number }).total;
}

test("filter values come from the dataset's pick-lists, with counts; ids and dates stay free text", async ({
  alice,
}) => {
  await alice.goto(`/#/explorer/${DATASET}`);
  await expect(alice.getByTestId("range")).toHaveText("1–50 of 300");

  // weather: the dataset's pick-list (features_values.json), each value with its record count.
  await alice.getByTestId("add-filter").click();
  const row = alice.getByTestId("filter-row");
  await row.getByLabel("Column").selectOption("weather");
  const pick = row.getByTestId("filter-value-pick");
  await expect(pick).toBeVisible();
  await expect(row.getByTestId("filter-value-text")).toHaveCount(0);
  const rainy = await total(alice, "weather:eq:rainy");
  expect(rainy).toBeGreaterThan(0);
  await expect(pick.locator('option[value="rainy"]')).toHaveText(`rainy (${rainy})`);
  const offered = await pick.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  const declared = (
    (await (await alice.request.get(`/datasets/${DATASET}`)).json()) as {
      feature_values: { item: { records: Array<{ name: string; values: string[] }> } };
    }
  ).feature_values.item.records.find((e) => e.name === "weather")?.values;
  expect(declared?.length).toBeGreaterThan(0);
  // The pick-list's values first, in its order.
  expect(offered.slice(1, 1 + (declared?.length ?? 0))).toEqual(declared);
  await pick.selectOption("rainy");
  await docsShot(alice, "filter-pick-list");
  await alice.getByTestId("apply-filters").click();
  await expect(alice.getByTestId("range")).toHaveText(`1–${Math.min(50, rainy)} of ${rainy}`);

  // status: the values records hold, with counts.
  await row.getByLabel("Column").selectOption("status");
  const newCount = await total(alice, "status:eq:new");
  await expect(row.getByTestId("filter-value-pick").locator('option[value="new"]')).toHaveText(`new (${newCount})`);
  await row.getByTestId("filter-value-pick").selectOption("new");
  await alice.getByTestId("apply-filters").click();
  await expect(alice.getByTestId("range")).toHaveText(`1–50 of ${newCount}`);

  // id: 300 values, none declared — a text box, the values as suggestions; typing one filters.
  await row.getByLabel("Column").selectOption("id");
  await expect(row.getByTestId("filter-value-pick")).toHaveCount(0);
  const text = row.getByTestId("filter-value-text");
  await expect(text).toHaveAttribute("list", /filter-values-/);
  const someId = (
    (await (await alice.request.get(`/datasets/${DATASET}/records?limit=1`)).json()) as {
      items: Array<{ id: string }>;
    }
  ).items[0]?.id;
  await text.fill(someId ?? "");
  await alice.getByTestId("apply-filters").click();
  await expect(alice.getByTestId("range")).toHaveText("1–1 of 1");

  // A date column: free text, no pick-list asked for.
  await row.getByLabel("Column").selectOption("created_at");
  await expect(row.getByTestId("filter-value-pick")).toHaveCount(0);
  await expect(row.getByTestId("filter-value-text")).not.toHaveAttribute("list", /./);
});
