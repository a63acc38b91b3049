import type { Page } from "@playwright/test";
import { DATASET, docsShot, expect, openRecord, recordInStatus, shot, test } from "./support/fixtures.js";

/**
 * Review (SPEC RV) on the real server with accounts: a reviewer rejects with a comment pinned to an object, the
 * annotator sees it live in the Review tab, answers and resubmits, the reviewer resolves the thread and
 * approves-and-nexts onto the next record of the queue. The record's own Pixano `comment` is read over REST at
 * every step and never changes.
 */

async function commentOf(page: Page, recordId: string): Promise<string> {
  const res = await page.request.get(`/datasets/${DATASET}/records/${recordId}`);
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { comment: string }).comment;
}

async function nextInQueue(page: Page, except: string): Promise<string> {
  const res = await page.request.get(`/datasets/${DATASET}/review/queue?limit=5`);
  expect(res.ok()).toBe(true);
  const items = ((await res.json()) as { items: Array<{ record_id: string }> }).items;
  const next = items.find((i) => i.record_id !== except)?.record_id;
  if (!next) throw new Error("the review queue has no other record");
  return next;
}

test("a rejection with a pinned comment reaches the annotator live; she answers and resubmits; the reviewer approves-and-nexts; the record's comment never changes", async ({
  alice,
  rita,
}) => {
  const record = await recordInStatus(alice, "inProgress", 2);
  // The annotator's own note, in Pixano's `comment` field.
  const note = `Alice's note on ${record}`;
  expect((await alice.request.put(`/datasets/${DATASET}/records/${record}`, { data: { comment: note } })).ok()).toBe(
    true,
  );

  await openRecord(alice, record);
  await alice.locator('button[data-action="submit"]').click();
  await expect(alice.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");

  // The reviewer selects an object and rejects with a comment pinned to it.
  await openRecord(rita, record);
  await expect(rita.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");
  const row = rita.getByTestId("object-row").first();
  const entity = (await row.getAttribute("data-entity")) ?? "";
  expect(entity).not.toBe("");
  // Its id selects it (the middle of the row can be the category drop-down, which does not select).
  await row.getByTestId("object-id").click();
  await expect(row).toHaveClass(/\bsel\b/);
  await rita.locator('button[data-action="reject"]').click();
  const dialog = rita.getByTestId("reject-dialog");
  await expect(dialog.getByTestId("reject-pin")).toBeChecked();
  await dialog.getByTestId("reject-comment").fill("This box is too loose around the object.");
  await dialog.getByTestId("confirm-reject").click();
  await expect(rita.getByTestId("status-chip")).toHaveAttribute("data-status", "inProgress");
  expect(await commentOf(rita, record)).toBe(note);

  // The annotator sees it live: status, and the pinned thread in the Review tab.
  await expect(alice.getByTestId("status-chip")).toHaveAttribute("data-status", "inProgress");
  await alice.getByTestId("tab-review").click();
  const aliceThread = alice.getByTestId("review-thread").first();
  await expect(aliceThread).toContainText("This box is too loose around the object.");
  await expect(aliceThread.getByTestId("review-pin")).toContainText(`object ${entity}`);
  // The pin selects its object (shown in the Objects tab and outlined on the canvas).
  await aliceThread.getByTestId("review-pin").click();
  await alice.getByTestId("tab-objects").click();
  await expect(alice.locator(`[data-testid="object-row"][data-entity="${entity}"]`)).toHaveClass(/\bsel\b/);
  await alice.getByTestId("tab-review").click();

  // The explorer says "Rejected" (not "In progress"), who submitted and who reviewed, and filters on them.
  await rita.goto(`/#/explorer/${DATASET}?filter=id:eq:${record}`);
  const line = rita.locator(`tr.rec[data-record="${record}"]`);
  await expect(line.getByTestId("status-chip")).toHaveText("Rejected");
  await expect(line.getByTestId("submitted-by")).toHaveText("Alice");
  await expect(line.getByTestId("reviewed-by")).toHaveText("Rita");
  await rita.getByTestId("filter-reviewed-by").selectOption("rita");
  await expect(rita.getByTestId("range")).toHaveText("1–1 of 1");
  await rita.getByTestId("filter-reviewed-by").selectOption("");

  // She answers and resubmits.
  await aliceThread.getByTestId("review-reply-text").fill("Tightened it.");
  await aliceThread.getByTestId("review-reply-send").click();
  await expect(aliceThread.getByTestId("review-message")).toHaveCount(2);
  await alice.locator('button[data-action="submit"]').click();
  await expect(alice.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");
  expect(await commentOf(alice, record)).toBe(note);

  // The reviewer sees the answer, resolves the thread, and approves-and-nexts with the keyboard.
  await openRecord(rita, record);
  await expect(rita.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");
  await rita.getByTestId("tab-review").click();
  const ritaThread = rita.getByTestId("review-thread").first();
  await expect(ritaThread).toContainText("Tightened it.");
  await docsShot(rita, "review-panel");
  await ritaThread.getByTestId("review-resolve").click();
  await expect(ritaThread).toHaveAttribute("data-resolved", "true");
  await expect(aliceThread).toHaveAttribute("data-resolved", "true");
  const expected = await nextInQueue(rita, record);
  // The keyboard belongs to the workspace, not to the button just clicked.
  await rita.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await rita.keyboard.press("Shift+A");
  await expect(rita.getByTestId("workspace")).toHaveAttribute("data-record", expected);
  await expect(alice.getByTestId("status-chip")).toHaveAttribute("data-status", "validated");
  expect(await commentOf(rita, record)).toBe(note);
  await shot(rita, "review-approved-next");
});

test("the review queue lists records in review oldest first and opens them; approve-and-next by button", async ({
  alice,
  rita,
}) => {
  // Two records submitted now: the newest submissions, last in the queue.
  const a = await recordInStatus(alice, "inProgress", 3);
  const b = await recordInStatus(alice, "inProgress", 4);
  for (const r of [a, b])
    expect(
      (await alice.request.post(`/datasets/${DATASET}/records/${r}/workflow`, { data: { action: "submit" } })).ok(),
    ).toBe(true);
  const queue = (await (await rita.request.get(`/datasets/${DATASET}/review/queue`)).json()) as {
    items: Array<{ record_id: string; waiting_since: string }>;
    total: number;
  };
  const since = queue.items.map((i) => Date.parse(i.waiting_since));
  expect(since).toEqual([...since].sort((x, y) => x - y));
  expect(queue.items.at(-1)?.record_id).toBe(b);

  await rita.goto(`/#/explorer/${DATASET}`);
  await expect(rita.getByTestId("review-queue-count")).toHaveText(String(queue.total));
  await rita.getByTestId("review-queue-button").click();
  await expect(rita.getByTestId("review-queue-item")).toHaveCount(Math.min(queue.total, 50));
  await expect(rita.getByTestId("review-queue-item").first()).toHaveAttribute(
    "data-record",
    queue.items[0]?.record_id ?? "",
  );
  await docsShot(rita, "review-queue");
  await rita.getByTestId("review-queue-start").click();
  const first = queue.items[0]?.record_id ?? "";
  await expect(rita.getByTestId("workspace")).toHaveAttribute("data-record", first);
  await expect(rita.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved|readOnly/);
  // Both review keys are listed in `?`.
  await rita.keyboard.press("?");
  const help = rita.getByRole("dialog");
  await expect(help).toContainText("Shift+A");
  await expect(help).toContainText("Shift+R");
  await rita.keyboard.press("Escape");
  await expect(help).toHaveCount(0);
  const expected = await nextInQueue(rita, first);
  await rita.locator('button[data-action="approve-next"]').click();
  await expect(rita.getByTestId("workspace")).toHaveAttribute("data-record", expected);
  const after = (await (await rita.request.get(`/datasets/${DATASET}/records/${first}`)).json()) as { status: string };
  expect(after.status).toBe("validated");
});
