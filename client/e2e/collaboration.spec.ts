import type { Page } from "@playwright/test";
import { canvasMounted, docRows, expect, openRecord, recordInStatus, shot, test } from "./support/fixtures.js";

/** The label select of an entity in the Objects tab. */
function labelSelect(page: Page, entityId: string) {
  return page.locator(`[data-testid="object-row"][data-entity="${entityId}"] [data-testid="relabel"]`);
}

async function firstEntity(page: Page): Promise<string> {
  const row = page.getByTestId("object-row").first();
  await expect(row).toBeVisible();
  const id = await row.getAttribute("data-entity");
  if (!id) throw new Error("no entity row");
  return id;
}

test("two people relabel the same object at once and converge", async ({ alice, bob }) => {
  const record = await recordInStatus(alice, "new", 0);
  await Promise.all([openRecord(alice, record), openRecord(bob, record)]);
  const entity = await firstEntity(alice);
  await expect(labelSelect(bob, entity)).toBeVisible();

  // Two labels, both different from the current one, chosen at the same moment.
  const current = await labelSelect(alice, entity).inputValue();
  const [mine, theirs] = ["balloon", "sign", "car"].filter((l) => l !== current) as [string, string];
  await Promise.all([labelSelect(alice, entity).selectOption(mine), labelSelect(bob, entity).selectOption(theirs)]);

  // Last writer wins per field, the same on both sides.
  await expect
    .poll(async () => {
      const [a, b] = await Promise.all([
        labelSelect(alice, entity).inputValue(),
        labelSelect(bob, entity).inputValue(),
      ]);
      return a === b && (a === mine || a === theirs) ? "converged" : `${a} / ${b}`;
    })
    .toBe("converged");
  const [rowsA, rowsB] = await Promise.all([docRows(alice, "entities"), docRows(bob, "entities")]);
  expect(rowsA.find((r) => r.id === entity)?.category).toBe(rowsB.find((r) => r.id === entity)?.category);

  // The first edit started the record for both of them.
  await expect(alice.getByTestId("status-chip")).toHaveAttribute("data-status", "inProgress");
  await expect(bob.getByTestId("status-chip")).toHaveAttribute("data-status", "inProgress");
  await expect(alice.getByTestId("people-here").getByTestId("peer-avatar")).toHaveAttribute("data-name", "Bob");
  await shot(alice, "05-concurrent-relabel");
});

test("the reviewer rejects with a comment and the annotator sees the status change", async ({ alice, rita }) => {
  const record = await recordInStatus(alice, "inProgress", 1);
  await openRecord(alice, record);
  await alice.locator('button[data-action="submit"]').click();
  await expect(alice.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");

  await openRecord(rita, record);
  await expect(rita.getByTestId("status-chip")).toHaveAttribute("data-status", "inReview");
  await rita.locator('button[data-action="reject"]').click();
  const dialog = rita.getByTestId("reject-dialog");
  await expect(dialog.getByTestId("confirm-reject")).toBeDisabled();
  await dialog.getByTestId("reject-comment").fill("The second car has no box.");
  await shot(rita, "06-reject-dialog");
  await dialog.getByTestId("confirm-reject").click();

  await expect(alice.getByTestId("status-chip")).toHaveAttribute("data-status", "inProgress");
  await expect(alice.getByTestId("toast").filter({ hasText: "Rita rejected this record" })).toContainText(
    "The second car has no box.",
  );
  // The reason is a review thread (the record's own comment is left alone: review.spec.ts).
  await alice.getByTestId("tab-review").click();
  await expect(alice.getByTestId("review-tab")).toContainText("The second car has no box.");
  await shot(alice, "07-annotator-sees-rejection");
  // The annotator may submit again.
  await expect(alice.locator('button[data-action="submit"]')).toBeVisible();
});

test("a reviewer follows an annotator to another record and sees her viewport", async ({ alice, rita }) => {
  const record = await recordInStatus(alice, "new", 5);
  await openRecord(alice, record);
  // The explorer shows who is on which record right now.
  await rita.goto(`/#/explorer/demo_image?filter=id:eq:${record}`);
  await expect(
    rita.locator(`tr.rec[data-record="${record}"] [data-testid="record-people"] [data-name="Alice"]`),
  ).toBeVisible();
  await openRecord(rita, record);
  const aliceAvatar = rita.getByTestId("people-here").locator('[data-name="Alice"]');
  await aliceAvatar.click();
  await expect(rita.getByTestId("follow-banner")).toHaveText(/Following Alice — Esc to stop/);

  // Alice moves on: Rita's workspace goes with her.
  await alice.keyboard.press("Shift+ArrowRight");
  await expect(alice.getByTestId("workspace")).not.toHaveAttribute("data-record", record);
  const next = await alice.getByTestId("workspace").getAttribute("data-record");
  await expect(rita.getByTestId("workspace")).toHaveAttribute("data-record", next ?? "");
  await expect(rita.getByTestId("follow-banner")).toBeVisible();

  await expect.poll(() => canvasMounted(alice), { timeout: 10_000 }).toBe(true);
  {
    // Alice zooms in around a point: Rita's camera lands on the same viewport.
    const box = await alice.getByTestId("canvas-host").boundingBox();
    if (!box) throw new Error("no canvas");
    await alice.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
    await alice.mouse.wheel(0, -400);
    const viewportOf = (p: Page) =>
      p.evaluate(() => {
        const c = (
          window as unknown as {
            __tessera: { controller(): { getViewport(): { cx: number; cy: number; zoom: number } } | null };
          }
        ).__tessera.controller();
        return c ? c.getViewport() : null;
      });
    await expect
      .poll(async () => {
        const [a, r] = await Promise.all([viewportOf(alice), viewportOf(rita)]);
        if (!a || !r) return "no viewport";
        return Math.abs(a.cx - r.cx) < 1e-3 && Math.abs(a.cy - r.cy) < 1e-3 && Math.abs(a.zoom / r.zoom - 1) < 1e-3
          ? "same"
          : JSON.stringify([a, r]);
      })
      .toBe("same");
  }
  await shot(rita, "08-reviewer-following");

  // Esc stops following; Alice's next move no longer drags Rita along.
  await rita.keyboard.press("Escape");
  await expect(rita.getByTestId("follow-banner")).toHaveCount(0);
  await alice.keyboard.press("Shift+ArrowRight");
  await expect(alice.getByTestId("workspace")).not.toHaveAttribute("data-record", next ?? "");
  await expect(rita.getByTestId("workspace")).toHaveAttribute("data-record", next ?? "");
});

test("edits made offline are queued, then saved on reconnect and kept across a reload", async ({ alice, bob }) => {
  const record = await recordInStatus(alice, "new", 2);
  await openRecord(alice, record);
  const entity = await firstEntity(alice);

  await alice.context().setOffline(true);
  await expect(alice.getByTestId("sync-indicator")).toHaveAttribute("data-phase", "offline");
  const label = (await labelSelect(alice, entity).inputValue()) === "tree" ? "house" : "tree";
  await labelSelect(alice, entity).selectOption(label);
  await alice.getByTestId("tab-record").click();
  await alice.getByTestId("record-comment").fill("Checked offline");
  await alice.getByTestId("record-comment").blur();
  await expect(alice.getByTestId("sync-indicator")).toHaveText("Offline, 2 changes queued");
  await shot(alice, "09-offline-queued");

  // Closing the tab now would lose them: the browser asks first (and the tab stays when refused).
  const asked = new Promise<string>((resolve) =>
    alice.once("dialog", (d) => {
      resolve(d.type());
      void d.dismiss();
    }),
  );
  await alice.close({ runBeforeUnload: true });
  expect(await asked).toBe("beforeunload");
  expect(alice.isClosed()).toBe(false);

  await alice.context().setOffline(false);
  await expect(alice.getByTestId("sync-indicator")).toHaveText("Saved", { timeout: 15_000 });

  // Nothing asks to save: another person and a reload both see the edits.
  await openRecord(bob, record);
  await expect(labelSelect(bob, entity)).toHaveValue(label);
  await alice.reload();
  await expect(alice.getByTestId("sync-indicator")).toHaveText("Saved");
  await alice.getByTestId("tab-objects").click();
  await expect(labelSelect(alice, entity)).toHaveValue(label);
  await alice.getByTestId("tab-record").click();
  await expect(alice.getByTestId("record-comment")).toHaveValue("Checked offline");
});
