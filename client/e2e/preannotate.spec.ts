import { DATASET, docRows, docsShot, expect, openRecord, recordInStatus, test } from "./support/fixtures.js";

/**
 * Pre-annotation from the explorer (README "AI assist") against the real server, its inference worker and the tiny
 * YOLO-shaped detector the e2e server registers (scripts/tiny-yolo.mjs: 8×8 cells scored by their mean red/green):
 * Alice runs "Pre-annotate…" on the record of her page, Bob — on the same explorer — sees the job's progress bar
 * live until done, and the detections open in the workspace as pending model proposals.
 */
test("pre-annotate from the explorer: the job's progress is live for another user and the boxes arrive as proposals", async ({
  alice,
  bob,
}) => {
  const rec = await recordInStatus(alice, "new", 3);
  const url = `/#/explorer/${DATASET}?filter=id:eq:${rec}`;
  await Promise.all([alice.goto(url), bob.goto(url)]);
  await expect(alice.getByTestId("preannotate-button")).toBeVisible();
  await expect(bob.getByTestId("preannotate")).toBeAttached();

  await alice.getByTestId("preannotate-button").click();
  const dialog = alice.getByTestId("preannotate-dialog");
  await expect(dialog.getByTestId("preannotate-model")).toHaveValue("tiny-yolo");
  await dialog.getByTestId("preannotate-threshold").fill("0.05");
  await docsShot(alice, "preannotate");
  await dialog.getByTestId("preannotate-start").click();
  await expect(dialog).toHaveCount(0);

  // Bob did nothing: the job reached his explorer over the live channel.
  const bobJob = bob.getByTestId("preannotate-job").first();
  await expect(bobJob).toHaveAttribute("data-status", "done", { timeout: 30_000 });
  await expect(bobJob).toContainText("tiny-yolo: 1/1");
  await expect(alice.getByTestId("preannotate-job").first()).toHaveAttribute("data-status", "done");

  // The boxes are pending model proposals in the record document.
  await openRecord(bob, rec);
  await expect
    .poll(async () => (await docRows(bob, "bboxes")).filter((b) => b.source_name === "tiny-yolo").length)
    .toBeGreaterThan(0);
  const boxes = (await docRows(bob, "bboxes")).filter((b) => b.source_name === "tiny-yolo");
  for (const b of boxes) {
    expect(b.source_type).toBe("model");
    expect(b.confidence as number).toBeGreaterThanOrEqual(0.05);
    expect(JSON.parse(String(b.source_metadata))).toMatchObject({ review_status: "pending" });
  }
});
