import type { Page } from "@playwright/test";
import type { DatasetDashboard } from "@tessera/shared-crdt/api";
import { DATASET, docsShot, expect, recordInStatus, test } from "./support/fixtures.js";

/**
 * The dataset dashboard (SPEC D-DASH) on the real server: an annotator edits and submits records, a reviewer
 * approves one and rejects one, over REST; the dashboard page, opened from the explorer, shows the numbers the
 * server computed (current counts equal to the explorer's, each person's throughput), the stats.json histograms,
 * its tables, and updates live when the reviewer approves another record while it is open.
 */

async function dashboardOf(page: Page): Promise<DatasetDashboard> {
  const res = await page.request.get(`/datasets/${DATASET}/dashboard`);
  expect(res.ok()).toBe(true);
  return (await res.json()) as DatasetDashboard;
}

async function explorerCount(page: Page, status: string): Promise<number> {
  const res = await page.request.get(`/datasets/${DATASET}/records?filter=status:eq:${status}&limit=1`);
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { total: number }).total;
}

async function act(page: Page, record: string, action: string, comment?: string): Promise<void> {
  const res = await page.request.post(`/datasets/${DATASET}/records/${record}/workflow`, {
    data: comment === undefined ? { action } : { action, comment },
  });
  expect(res.ok(), `${action} ${record}: ${await res.text()}`).toBe(true);
}

const throughputOf = (d: DatasetDashboard, name: string) =>
  d.throughput.find((t) => t.user.name === name) ?? { submitted: 0, approved: 0, rejected: 0 };

test("transitions made by an annotator and a reviewer show on the dashboard, which matches the explorer and updates live", async ({
  alice,
  rita,
}) => {
  const before = await dashboardOf(rita);
  // Alice edits three records (a comment each, through the record documents) and submits them.
  const records = [
    await recordInStatus(alice, "new", 0),
    await recordInStatus(alice, "new", 1),
    await recordInStatus(alice, "new", 2),
  ];
  for (const r of records) {
    expect(
      (await alice.request.put(`/datasets/${DATASET}/records/${r}`, { data: { comment: "first pass" } })).ok(),
    ).toBe(true);
    await act(alice, r, "submit");
  }
  await act(rita, records[0] ?? "", "approve");
  await act(rita, records[1] ?? "", "reject", "One object is missing a box.");

  // The feed is appended in the background: wait for the server's numbers, then compare the page with them.
  await expect
    .poll(async () => throughputOf(await dashboardOf(rita), "Rita").approved)
    .toBe(throughputOf(before, "Rita").approved + 1);
  const d = await dashboardOf(rita);
  expect(throughputOf(d, "Alice").submitted).toBe(throughputOf(before, "Alice").submitted + 3);
  expect(throughputOf(d, "Rita").rejected).toBe(throughputOf(before, "Rita").rejected + 1);

  // Opened from the explorer's toolbar.
  await rita.goto(`/#/explorer/${DATASET}`);
  await rita.getByTestId("open-dashboard").click();
  await expect(rita).toHaveURL(new RegExp(`#/dashboard/${DATASET}$`));
  const page = rita.getByTestId("dashboard-page");
  await expect(page).toBeVisible();

  // Current counts: the explorer's.
  for (const s of ["new", "inProgress", "inReview", "validated"] as const) {
    await expect(page.getByTestId(`current-${s}`)).toHaveAttribute("data-count", String(await explorerCount(rita, s)));
  }
  // Charts are images with a title and a description.
  const status = page.getByTestId("chart-status");
  await expect(status.locator("svg[role=img] title").first()).toHaveText("Records per status over time");
  await expect(status.locator("svg desc").first()).toContainText("Records per status at the end of each");
  await expect(status.locator("path.dash-band")).toHaveCount(5);
  // Throughput per person: one group of bars per person, and the numbers in the table.
  const throughput = page.getByTestId("chart-throughput");
  await expect(throughput.locator("g[data-group=Alice] rect")).toHaveCount(3);
  await throughput.getByTestId("table-toggle").click();
  const aliceTotal = throughput.locator("tr", { has: rita.locator("th", { hasText: "Alice" }) }).first();
  await expect(aliceTotal.locator("td").nth(1)).toHaveText(String(throughputOf(d, "Alice").submitted));
  await throughput.getByTestId("table-toggle").click();
  await expect(throughput.locator("svg")).toBeVisible();
  // Time per record and labels from the rows; the demo's stats.json histograms.
  await expect(page.getByTestId("chart-time").locator("svg rect.dash-bar").first()).toBeVisible();
  await expect(page.getByTestId("labels-entities").locator("svg rect.dash-bar").first()).toBeVisible();
  await expect(page.getByTestId("stats-split")).toBeVisible();
  await expect(page.getByTestId("stats-width").locator("svg rect.dash-bar").first()).toBeVisible();

  // Live: Rita approves the last submitted record from elsewhere; the open page follows without a reload.
  const validated = await explorerCount(rita, "validated");
  await act(alice, records[1] ?? "", "submit");
  const other = await rita.context().newPage();
  const res = await other.request.post(`/datasets/${DATASET}/records/${records[2] ?? ""}/workflow`, {
    data: { action: "approve" },
  });
  expect(res.ok()).toBe(true);
  await expect(page.getByTestId("current-validated")).toHaveAttribute("data-count", String(validated + 1), {
    timeout: 15_000,
  });
  await other.close();
  await docsShot(rita, "dashboard");
});
