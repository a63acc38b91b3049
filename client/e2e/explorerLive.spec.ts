import { DATASET, expect, recordInStatus, test } from "./support/fixtures.js";

/** The explorer follows status changes live: a record submitted elsewhere shows "In review" without a reload. */
test("an open explorer shows a record's new status as soon as someone else submits it", async ({ alice, rita }) => {
  const record = await recordInStatus(alice, "inProgress", 4);
  await rita.goto(`/#/explorer/${DATASET}?filter=id:eq:${record}`);
  const chip = rita.locator(`tr.rec[data-record="${record}"]`).getByTestId("status-chip");
  await expect(chip).toHaveAttribute("data-status", "inProgress");
  // Wait until Rita's live channel is connected (her presence reaches the server), then Alice submits.
  await expect
    .poll(async () => {
      const res = await alice.request.get(`/datasets/${DATASET}/presence`);
      return res.ok() ? JSON.stringify(await res.json()).toLowerCase() : "";
    })
    .toContain("rita");
  let listings = 0;
  rita.on("request", (r) => {
    if (r.url().includes(`/datasets/${DATASET}/records?`)) listings++;
  });
  const res = await alice.request.post(`/datasets/${DATASET}/records/${record}/workflow`, {
    data: { action: "submit" },
  });
  expect(res.ok(), await res.text()).toBe(true);
  await expect(chip).toHaveAttribute("data-status", "inReview");
  // Not by reading the listing again.
  expect(listings).toBe(0);
});
