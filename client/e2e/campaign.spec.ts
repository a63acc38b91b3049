import type { Browser, Page } from "@playwright/test";
import {
  baseURL,
  canvasMounted,
  DATASET,
  docsShot,
  expect,
  imagePoint,
  openRecord,
  shot,
  test,
  users,
} from "./support/fixtures.js";

/**
 * A labelling campaign (SPEC AS, RV, D-PROPOSAL) on the real server with accounts: the lead (an admin) assigns 10
 * records to alice and bob, 5 each, with rita reviewing, and locks assignment; each annotator works through "Next
 * for me" (draws a box, submits); rita rejects one with a comment pinned to an object, its annotator answers and
 * resubmits, rita approves-and-nexts; the record's own Pixano `comment` is read over REST at every step and never
 * changes; per-person progress adds up. Then model proposals: bulk-accept above a threshold, one corrected, one
 * rejected, one left pending — the `review_status` values Pixano reads, over REST after the fold.
 */

type Row = Record<string, unknown>;
const api = (path: string) => `/datasets/${DATASET}${path}`;

async function asLead(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1280, height: 800 } });
  const res = await context.request.post("/auth/login", {
    data: { username: users.admin.username, password: users.admin.password },
  });
  expect(res.ok(), "login of the lead").toBe(true);
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[lead] page error: ${err.message}`));
  return page;
}

async function getJson<T>(page: Page, path: string): Promise<T> {
  const res = await page.request.get(path);
  expect(res.ok(), path).toBe(true);
  return (await res.json()) as T;
}

const commentOf = async (page: Page, record: string) =>
  (await getJson<{ comment: string }>(page, api(`/records/${record}`))).comment;
const statusOf = async (page: Page, record: string) =>
  (await getJson<{ status: string }>(page, api(`/records/${record}`))).status;

async function explorer(page: Page, query = ""): Promise<void> {
  await page.goto(`/#/explorer/${DATASET}${query}`);
  await expect(page.getByTestId("records-table")).toBeVisible();
}

/** Draws a box in the middle of the image with the first category. */
async function drawBox(page: Page): Promise<void> {
  await expect.poll(() => canvasMounted(page), { timeout: 10_000 }).toBe(true);
  const before = await page.getByTestId("object-row").count();
  await page.getByTestId("canvas-host").hover();
  await page.keyboard.press("r");
  const from = await imagePoint(page, 0.42, 0.42);
  const to = await imagePoint(page, 0.58, 0.6);
  await page.mouse.move(...from);
  await page.mouse.down();
  await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 4 });
  await page.mouse.move(...to, { steps: 4 });
  await page.mouse.up();
  await expect(page.getByTestId("creation-form")).toBeVisible();
  await page.keyboard.press("1");
  await expect(page.getByTestId("creation-form")).toHaveCount(0);
  await expect(page.getByTestId("object-row")).toHaveCount(before + 1);
}

/** Works through "Next for me": each record opened is the expected one; a box, then submit. */
async function workThrough(page: Page, expected: readonly string[]): Promise<void> {
  await explorer(page);
  await page.getByTestId("next-for-me").click();
  for (const [i, record] of expected.entries()) {
    await expect(page.getByTestId("workspace")).toHaveAttribute("data-record", record);
    await expect(page.getByTestId("sync-indicator")).toHaveAttribute("data-phase", "saved");
    await drawBox(page);
    await page.locator('button[data-action="submit"]').click();
    await expect(page.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");
    if (i === expected.length - 1) break;
    // The button, then the key: both open the next one.
    if (i % 2 === 0) await page.getByTestId("next-for-me").click();
    else {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press("Shift+N");
    }
  }
}

test("campaign: assign 10 records to two annotators, work through next-for-me, reject with a pinned comment, answer, approve-and-next, progress, proposals", async ({
  browser,
  alice,
  bob,
  rita,
}) => {
  test.setTimeout(300_000);
  const lead = await asLead(browser);
  const people = { alice, bob } as const;

  // The 10 records of the campaign: the last `new` ones (other specs use the first ones).
  const picked = (
    await getJson<{ items: Array<{ id: string }> }>(
      lead,
      api("/records?filter=status:eq:new&sort=id&order=desc&limit=10"),
    )
  ).items.map((r) => r.id);
  expect(picked).toHaveLength(10);
  const first = [...picked].sort()[0] ?? "";

  try {
    // ── The lead assigns in the explorer: the 10 records, alice and bob annotate (5 each), rita reviews.
    await explorer(lead, `?filter=${encodeURIComponent(`id:in:${picked.join(",")}`)}`);
    await expect(lead.getByTestId("range")).toHaveText("1–10 of 10");
    await lead.getByTestId("assign-open").click();
    const dialog = lead.getByTestId("assign-dialog");
    await expect(dialog.getByTestId("assign-scope-selection")).toBeChecked();
    await dialog.locator('[data-testid="assign-annotator"][data-person="alice"]').check();
    await dialog.locator('[data-testid="assign-annotator"][data-person="bob"]').check();
    await dialog.locator('[data-testid="assign-reviewer"][data-person="rita"]').check();
    await expect(dialog.locator('[data-testid="assign-annotator"][data-person="bob"]').locator("..")).toContainText(
      "5",
    );
    await docsShot(lead, "assign-dialog");
    await dialog.getByTestId("assign-submit").click();
    await expect(dialog).toHaveCount(0);

    const list = await getJson<{ items: Array<{ record_id: string; annotator: { id: string } | null }> }>(
      lead,
      api("/assignments"),
    );
    const mine = (who: string) =>
      list.items
        .filter((a) => a.annotator?.id === who && picked.includes(a.record_id))
        .map((a) => a.record_id)
        .sort();
    const aliceRecords = mine("alice");
    const bobRecords = mine("bob");
    expect(aliceRecords).toHaveLength(5);
    expect(bobRecords).toHaveLength(5);
    const owner = aliceRecords.includes(first) ? "alice" : "bob";
    const ownerName = owner === "alice" ? "Alice" : "Bob";
    const other = owner === "alice" ? "bob" : "alice";
    // The "Assigned to" column shows it, live.
    await expect(lead.locator(`tr.rec[data-record="${aliceRecords[0]}"]`).getByTestId("assigned-to")).toContainText(
      "Alice",
    );
    await expect(lead.locator(`tr.rec[data-record="${bobRecords[0]}"]`).getByTestId("assigned-to")).toContainText(
      "Bob",
    );

    // The owner's own note in Pixano's `comment` field of the record that will be rejected.
    const note = `${ownerName}'s note on ${first}`;
    expect((await people[owner].request.put(api(`/records/${first}`), { data: { comment: note } })).ok()).toBe(true);

    // ── The lead locks assignment: the other annotator opens that record read-only, told why.
    await lead.getByTestId("assign-lock").check();
    await expect(lead.getByTestId("assign-lock")).toBeChecked();
    await openRecord(people[other], first);
    await expect(people[other].getByTestId("readonly-banner")).toContainText(`assigned to ${ownerName}`);
    await expect(people[other].locator('button[data-action="submit"]')).toHaveCount(0);
    await docsShot(people[other], "assign-locked");
    const refused = await people[other].request.put(api(`/records/${first}`), { data: { comment: "not mine" } });
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain(`assigned to ${ownerName}`);
    expect(await commentOf(lead, first)).toBe(note);

    // "Mine" shows my 5.
    await explorer(alice);
    await alice.getByTestId("assign-mine").click();
    await expect(alice.getByTestId("range")).toHaveText("1–5 of 5");
    await docsShot(alice, "assign-explorer");

    // ── Each annotator works through "Next for me".
    await workThrough(alice, aliceRecords);
    await workThrough(bob, bobRecords);
    for (const r of picked) await expect.poll(() => statusOf(lead, r)).toBe("inReview");
    expect(await commentOf(lead, first)).toBe(note);

    // ── rita's "Next for me" opens her oldest assignment in review; she rejects it with a pinned comment.
    await explorer(rita);
    await rita.getByTestId("next-for-me").click();
    await expect(rita.getByTestId("workspace")).toHaveAttribute("data-record", first);
    await expect(rita.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");
    const row = rita.getByTestId("object-row").first();
    const entity = (await row.getAttribute("data-entity")) ?? "";
    expect(entity).not.toBe("");
    // On its id, not on the category picker inside it.
    await row.getByTestId("object-id").click();
    await expect(row).toHaveClass(/\bsel\b/);
    await rita.locator('button[data-action="reject"]').click();
    const reject = rita.getByTestId("reject-dialog");
    await expect(reject.getByTestId("reject-pin")).toBeChecked();
    await reject.getByTestId("reject-comment").fill("The new box misses the object's left edge.");
    await reject.getByTestId("confirm-reject").click();
    await expect(rita.getByTestId("status-chip")).toHaveAttribute("data-status", "inProgress");
    expect(await commentOf(rita, first)).toBe(note);

    // ── Its annotator: "Next for me" brings the rejected record back; she reads the pinned thread, answers, resubmits.
    const annotator = people[owner];
    await explorer(annotator);
    await annotator.getByTestId("next-for-me").click();
    await expect(annotator.getByTestId("workspace")).toHaveAttribute("data-record", first);
    await expect(annotator.getByTestId("status-chip")).toHaveAttribute("data-status", "inProgress");
    await annotator.getByTestId("tab-review").click();
    const thread = annotator.getByTestId("review-thread").first();
    await expect(thread).toContainText("The new box misses the object's left edge.");
    await expect(thread.getByTestId("review-pin")).toContainText(`object ${entity}`);
    await thread.getByTestId("review-reply-text").fill("Fixed the left edge.");
    await thread.getByTestId("review-reply-send").click();
    await expect(thread.getByTestId("review-message")).toHaveCount(2);
    await annotator.locator('button[data-action="submit"]').click();
    await expect(annotator.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");
    expect(await commentOf(annotator, first)).toBe(note);

    // ── rita approves-and-nexts (Shift+A) onto the next record waiting for review.
    await openRecord(rita, first);
    await expect(rita.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");
    await rita.getByTestId("tab-review").click();
    await expect(rita.getByTestId("review-thread").first()).toContainText("Fixed the left edge.");
    const queue = await getJson<{ items: Array<{ record_id: string }> }>(rita, api("/review/queue?limit=5"));
    const expectedNext = queue.items.find((i) => i.record_id !== first)?.record_id ?? "";
    await rita.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await rita.keyboard.press("Shift+A");
    await expect(rita.getByTestId("workspace")).toHaveAttribute("data-record", expectedNext);
    await expect.poll(() => statusOf(lead, first)).toBe("validated");
    expect(await commentOf(lead, first)).toBe(note);

    // ── Per-person progress in the lead's explorer, filtered on rita's assignments (a fresh listing).
    await explorer(lead, "?assigned_to=rita");
    await expect(lead.getByTestId("range")).toHaveText("1–10 of 10");
    await lead.getByTestId("assign-progress-button").click();
    const progressRow = (who: string, role: string) =>
      lead.locator(`[data-testid="assign-progress-row"][data-person="${who}"][data-role="${role}"]`);
    for (const who of ["alice", "bob"]) {
      await expect(progressRow(who, "annotator").locator('[data-cell="assigned"]')).toHaveText("5");
      await expect(progressRow(who, "annotator").locator('[data-cell="done"]')).toHaveText("5");
      await expect(progressRow(who, "annotator").locator('[data-cell="percent"]')).toHaveText("100%");
    }
    await expect(progressRow("rita", "reviewer").locator('[data-cell="assigned"]')).toHaveText("10");
    await expect(progressRow("rita", "reviewer").locator('[data-cell="done"]')).toHaveText("1");
    await expect(progressRow("rita", "reviewer").locator('[data-cell="in_review"]')).toHaveText("9");
    await docsShot(lead, "assign-progress");
  } finally {
    // Other specs share this server: the lock never outlives the campaign.
    expect((await lead.request.put(api("/assignments/lock"), { data: { locked: false } })).ok()).toBe(true);
  }

  // ── Model proposals on a pre-annotated record of the campaign's tail (not one of the 10, not the other specs').
  const boxesOf = async (record: string) =>
    (await getJson<{ items: Row[] }>(alice, api(`/bboxes?record_id=${record}&limit=100`))).items.filter(
      (b) => b.source_type === "model",
    );
  const score = (r: Row) => Number(r.confidence);
  const reviewStatus = (r: Row) =>
    (JSON.parse(String(r.source_metadata ?? "{}")) as { review_status?: string }).review_status ?? "pending";
  let target = "";
  for (let offset = 0; offset < 60 && target === ""; offset++) {
    const id = (
      await getJson<{ items: Array<{ id: string }> }>(
        alice,
        api(`/records?filter=status:eq:new&sort=id&order=desc&limit=1&offset=${offset}`),
      )
    ).items[0]?.id;
    if (!id) break;
    const boxes = await boxesOf(id);
    if (boxes.length === 4 && new Set(boxes.map(score)).size === 4) target = id;
  }
  expect(target, "a new record with four model boxes").not.toBe("");
  const boxes = (await boxesOf(target)).sort((a, b) => score(a) - score(b));
  const [s1, s2, s3, s4] = boxes as [Row, Row, Row, Row];
  await openRecord(alice, target);
  await alice.getByTestId("tab-proposals").click();
  await expect(alice.getByTestId("proposals-tab")).toBeVisible();
  const proposal = (r: Row) => alice.locator(`[data-testid="proposal-row"][data-id="${String(r.id)}"]`);
  await expect(alice.getByTestId("proposal-row")).toHaveCount(4);
  // Threshold between the second and third scores: bulk-accept takes the top two.
  const threshold = Math.ceil(((score(s2) + score(s3)) / 2) * 100 - 1e-9) / 100;
  await alice.getByTestId("proposal-threshold").fill(String(threshold));
  const shown = Number(await alice.getByTestId("proposal-threshold-value").textContent());
  expect(shown).toBeGreaterThan(score(s2));
  expect(shown).toBeLessThanOrEqual(score(s3));
  await alice.getByTestId("proposal-accept-all").click();
  await expect(proposal(s3)).toHaveAttribute("data-status", "accepted");
  await expect(proposal(s4)).toHaveAttribute("data-status", "accepted");
  await alice.getByTestId("proposal-threshold").fill("0");
  await expect(proposal(s2)).toHaveAttribute("data-status", "pending");
  await proposal(s2).getByTestId("proposal-reject").click();
  await expect(proposal(s2)).toHaveAttribute("data-status", "rejected");
  // Correct the highest by moving it on the canvas.
  const [x, y, w, h] = s4.coords as [number, number, number, number];
  await alice.keyboard.press("v");
  await proposal(s4).click();
  const centre = await imagePoint(alice, x + w / 2, y + h / 2);
  await alice.mouse.move(...centre);
  await alice.mouse.down();
  await alice.mouse.move(centre[0] + 12, centre[1] + 8, { steps: 5 });
  await alice.mouse.move(centre[0] + 24, centre[1] + 16, { steps: 5 });
  await alice.mouse.up();
  await expect(proposal(s4)).toHaveAttribute("data-status", "corrected");
  await shot(alice, "campaign-proposals");
  // What Pixano reads, over REST once folded into LanceDB.
  await expect
    .poll(async () => Object.fromEntries((await boxesOf(target)).map((b) => [String(b.id), reviewStatus(b)])), {
      timeout: 20_000,
    })
    .toEqual({
      [String(s1.id)]: "pending",
      [String(s2.id)]: "rejected",
      [String(s3.id)]: "accepted",
      [String(s4.id)]: "corrected",
    });
  await lead.context().close();
});
