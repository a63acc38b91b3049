import type { Page } from "@playwright/test";
import {
  canvasMounted,
  DATASET,
  docRows,
  docsShot,
  expect,
  imagePoint,
  openRecord,
  shot,
  test,
} from "./support/fixtures.js";

/**
 * Model proposals (SPEC D-PROPOSAL) on the demo library's pre-annotated `new` records: a person's
 * score threshold hides low proposals for them only, accept (keyboard), correct (a move), reject,
 * bulk-accept above a threshold as one undo step, a second person sees every decision live, and
 * the `review_status` values Pixano reads come back over REST (in `source_metadata`: the demo is a
 * Pixano 0.8 layout, without the newer `review_status` column).
 */
type Row = Record<string, unknown>;

async function restBoxes(page: Page, record: string): Promise<Row[]> {
  const res = await page.request.get(`/datasets/${DATASET}/bboxes?record_id=${record}&limit=100`);
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { items: Row[] }).items;
}

const statusOf = (r: Row) => {
  const meta = JSON.parse(String(r.source_metadata ?? "{}")) as { review_status?: string };
  return meta.review_status ?? "";
};
const score = (r: Row) => Number(r.confidence);

/** `new` records with four model boxes of distinct scores, past the ones other specs use. */
async function proposalRecords(page: Page, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 30; offset < 90 && out.length < n; offset++) {
    const res = await page.request.get(
      `/datasets/${DATASET}/records?filter=status:eq:new&sort=id&order=asc&limit=1&offset=${offset}`,
    );
    const id = ((await res.json()) as { items: Array<{ id: string }> }).items[0]?.id;
    if (!id) break;
    const boxes = (await restBoxes(page, id)).filter((b) => b.source_type === "model");
    if (boxes.length === 4 && new Set(boxes.map(score)).size === 4) out.push(id);
  }
  if (out.length < n) throw new Error("the demo library has too few pre-annotated records");
  return out;
}

const rows = (p: Page) => p.getByTestId("proposal-row");
const row = (p: Page, id: string) => p.locator(`[data-testid="proposal-row"][data-id="${id}"]`);

async function openProposals(p: Page): Promise<void> {
  await p.getByTestId("tab-proposals").click();
  await expect(p.getByTestId("proposals-tab")).toBeVisible();
}

test("model proposals: threshold, accept, correct by moving, reject, bulk-accept, live and over REST", async ({
  alice,
  bob,
}) => {
  const [recA, recB] = (await proposalRecords(alice, 2)) as [string, string];
  const boxesA = (await restBoxes(alice, recA)).sort((a, b) => score(a) - score(b));
  const [low, ...rest] = boxesA as [Row, ...Row[]];
  await Promise.all([openRecord(alice, recA), openRecord(bob, recA)]);
  await expect(alice.getByTestId("object-row")).toHaveCount(4);
  // The object list names the source and the score.
  await expect(alice.getByTestId("proposal-chip")).toHaveCount(4);
  await expect(alice.getByTestId("proposal-chip").first()).toContainText("%");
  await Promise.all([openProposals(alice), openProposals(bob)]);
  await expect(rows(alice)).toHaveCount(4);
  for (const r of boxesA) await expect(row(alice, String(r.id))).toHaveAttribute("data-status", "pending");

  // Alice's threshold, between the two lowest scores, hides the lowest for her only.
  const t = (score(low) + score(rest[0] as Row)) / 2;
  await alice.getByTestId("proposal-threshold").fill(String(Math.ceil(t * 100 - 1e-9) / 100));
  const shownThreshold = Number(await alice.getByTestId("proposal-threshold-value").textContent());
  expect(shownThreshold).toBeGreaterThan(score(low));
  expect(shownThreshold).toBeLessThanOrEqual(score(rest[0] as Row));
  await expect(row(alice, String(low.id))).toHaveCount(0);
  await expect(rows(alice)).toHaveCount(3);
  await expect(rows(bob)).toHaveCount(4);
  await alice.getByTestId("tab-objects").click();
  await expect(alice.getByTestId("object-row")).toHaveCount(3);
  await bob.getByTestId("tab-objects").click();
  await expect(bob.getByTestId("object-row")).toHaveCount(4);
  await Promise.all([openProposals(alice), openProposals(bob)]);

  // Accept with the keyboard: J selects the next proposal to review, Y accepts it.
  await alice.getByTestId("canvas-host").hover();
  await alice.keyboard.press("j");
  const selected = alice.locator('[data-testid="proposal-row"].sel');
  await expect(selected).toHaveCount(1);
  const accepted = String(await selected.getAttribute("data-id"));
  await alice.keyboard.press("y");
  await expect(row(alice, accepted)).toHaveAttribute("data-status", "accepted");
  await expect(row(bob, accepted)).toHaveAttribute("data-status", "accepted");
  await docsShot(alice, "proposals"); // pending proposals dashed and dimmed, one accepted, one below the threshold

  // Reject another one by its button: the row stays, marked rejected.
  const others = rest.map((r) => String(r.id)).filter((id) => id !== accepted);
  const [rejected, corrected] = others as [string, string];
  await row(alice, rejected).getByTestId("proposal-reject").click();
  await expect(row(bob, rejected)).toHaveAttribute("data-status", "rejected");
  expect((await docRows(bob, "bboxes")).some((b) => b.id === rejected)).toBe(true);

  // Correct the last one by moving it on the canvas.
  if (await canvasMounted(alice)) {
    const box = boxesA.find((b) => b.id === corrected) as Row;
    const [x, y, w, h] = box.coords as [number, number, number, number];
    await alice.keyboard.press("v");
    await row(alice, corrected).click();
    const centre = await imagePoint(alice, x + w / 2, y + h / 2);
    await alice.mouse.move(...centre);
    await alice.mouse.down();
    await alice.mouse.move(centre[0] + 15, centre[1] + 10, { steps: 5 });
    await alice.mouse.move(centre[0] + 30, centre[1] + 20, { steps: 5 });
    await alice.mouse.up();
    await expect(row(bob, corrected)).toHaveAttribute("data-status", "corrected");
  } else {
    throw new Error("the canvas is not part of this build: a proposal cannot be moved");
  }

  await expect
    .poll(async () =>
      Object.fromEntries((await restBoxes(bob, recA)).map((b) => [String(b.id), statusOf(b) || "pending"])),
    )
    .toEqual({ [String(low.id)]: "pending", [accepted]: "accepted", [rejected]: "rejected", [corrected]: "corrected" });

  // Bulk-accept on a second record: everything at or above the threshold, one undo step.
  const boxesB = await restBoxes(alice, recB);
  await Promise.all([openRecord(alice, recB), openRecord(bob, recB)]);
  await Promise.all([openProposals(alice), openProposals(bob)]);
  const scoresB = boxesB.map(score).sort((a, b) => a - b);
  const tb = Math.ceil(((scoresB[0] as number) + (scoresB[1] as number)) * 50 - 1e-9) / 100; // above the lowest only
  await alice.getByTestId("proposal-threshold").fill(String(tb));
  const thresholdB = Number(await alice.getByTestId("proposal-threshold-value").textContent());
  const above = boxesB.filter((b) => score(b) >= thresholdB).map((b) => String(b.id));
  expect(above.length).toBeGreaterThanOrEqual(2);
  await alice.getByTestId("proposal-accept-all").click();
  for (const id of above) await expect(row(bob, id)).toHaveAttribute("data-status", "accepted");
  await shot(bob, "proposals-bulk-accepted-live");
  await alice.getByTestId("canvas-host").hover();
  await alice.keyboard.press("Control+z");
  for (const id of above) await expect(row(bob, id)).toHaveAttribute("data-status", "pending");
  await alice.keyboard.press("Control+Shift+z");
  for (const id of above) await expect(row(bob, id)).toHaveAttribute("data-status", "accepted");
  await expect
    .poll(async () =>
      (await restBoxes(bob, recB))
        .filter((b) => statusOf(b) === "accepted")
        .map((b) => String(b.id))
        .sort(),
    )
    .toEqual([...above].sort());

  // The review keys are listed in `?`.
  await alice.keyboard.press("Shift+?");
  await expect(alice.getByTestId("shortcut-help")).toContainText("Next model proposal to review");
  await expect(alice.getByTestId("shortcut-help")).toContainText("Reject the selected proposal");
});
