import type { Page } from "@playwright/test";
import {
  canvasMounted,
  docRows,
  docsShot,
  expect,
  imagePoint,
  openRecord,
  recordInStatus,
  shot,
  test,
} from "./support/fixtures.js";

/**
 * Review pins drawn on the canvas (SPEC RV9), on the real server in real Chromium: a reviewer pins comments to an
 * object, a point she clicks and a region she drags; the annotator sees the numbered pins appear live, reads one
 * by hovering, opens its thread by clicking it; the object's pin follows the box when it moves and goes away when
 * the box is deleted; a resolved thread's pin hides, or shows dimmed on request. Esc leaves the pin capture.
 */

interface MarkBox {
  readonly thread: string;
  readonly kind: string;
  readonly resolved: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** The pins on a page's canvas: where each mark's anchor is (page px) and its region's size. */
function marks(page: Page): Promise<MarkBox[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="review-pin-mark"]')].map((el) => {
      const r = el.getBoundingClientRect();
      const region = el.querySelector<HTMLElement>(".review-pin-region");
      const rr = region?.getBoundingClientRect();
      return {
        thread: el.dataset.thread ?? "",
        kind: el.dataset.kind ?? "",
        resolved: el.dataset.resolved ?? "",
        x: r.left,
        y: r.top,
        w: region && !region.hidden ? (rr?.width ?? 0) : 0,
        h: region && !region.hidden ? (rr?.height ?? 0) : 0,
      };
    }),
  );
}

async function markOf(page: Page, kind: string): Promise<MarkBox | undefined> {
  return (await marks(page)).find((m) => m.kind === kind);
}

async function comment(page: Page, text: string): Promise<void> {
  const before = await page.getByTestId("review-thread").count();
  await page.getByTestId("review-new-text").fill(text);
  await page.getByTestId("review-new-send").click();
  await expect(page.getByTestId("review-thread")).toHaveCount(before + 1);
}

async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.mouse.move(...from);
  await page.mouse.down();
  await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 4 });
  await page.mouse.move(...to, { steps: 4 });
  await page.mouse.up();
}

const near = (a: number, b: number, tol = 3) => Math.abs(a - b) <= tol;

test("review pins: a point, a region and an object pin drawn where they point, live for the annotator; the object pin follows its box and goes with it; resolved pins hide or dim", async ({
  alice,
  rita,
}) => {
  const record = await recordInStatus(alice, "new", 21);
  await Promise.all([openRecord(alice, record), openRecord(rita, record)]);
  await expect.poll(() => canvasMounted(alice)).toBe(true);
  await expect.poll(() => canvasMounted(rita)).toBe(true);

  // Alice draws a box; the reviewer will pin a comment to it.
  const existing = new Set((await docRows(alice, "bboxes")).map((b) => String(b.id)));
  await alice.keyboard.press("r");
  await drag(alice, await imagePoint(alice, 0.2, 0.3), await imagePoint(alice, 0.35, 0.5));
  await expect(alice.getByTestId("creation-form")).toBeVisible();
  await alice.keyboard.press("1");
  await expect(alice.getByTestId("creation-form")).toHaveCount(0);
  await expect.poll(async () => (await docRows(rita, "bboxes")).length).toBe(existing.size + 1);
  const box = (await docRows(rita, "bboxes")).find((b) => !existing.has(String(b.id)));
  const entity = String(box?.entity_id ?? "");
  expect(entity).not.toBe("");

  // Rita selects it and comments: pinned to the selected object (the default).
  const ritaRow = rita.locator(`[data-testid="object-row"][data-entity="${entity}"]`);
  await ritaRow.getByTestId("object-id").click();
  await expect(ritaRow).toHaveClass(/\bsel\b/);
  await rita.getByTestId("tab-review").click();
  await expect(rita.getByTestId("review-new-pin")).toContainText(`Pin to object ${entity}`);
  await comment(rita, "This box is too loose.");
  await expect.poll(async () => (await markOf(rita, "object")) !== undefined).toBe(true);
  const [bx, by] = await imagePoint(rita, 0.2, 0.3);
  const objectMark = await markOf(rita, "object");
  expect(near(objectMark?.x ?? 0, bx) && near(objectMark?.y ?? 0, by)).toBe(true);

  // A point: choose it, click the image.
  await rita.getByTestId("review-new-pin-choice").selectOption("point");
  await expect(rita.getByTestId("review-pin-capture")).toHaveCount(1);
  await expect(rita.getByTestId("review-new-send")).toBeDisabled();
  const [px, py] = await imagePoint(rita, 0.7, 0.25);
  await rita.mouse.click(px, py);
  await expect(rita.getByTestId("review-pin-capture")).toHaveCount(0);
  await expect(rita.getByTestId("review-new-pin")).toContainText("Pin to point 70% · 25% of image");
  await comment(rita, "A sign is missing here.\nSecond line.");
  await expect.poll(async () => (await markOf(rita, "point")) !== undefined).toBe(true);
  const pointMark = await markOf(rita, "point");
  expect(near(pointMark?.x ?? 0, px) && near(pointMark?.y ?? 0, py)).toBe(true);

  // A region: choose it, drag over the image.
  await rita.getByTestId("review-new-pin-choice").selectOption("region");
  const r0 = await imagePoint(rita, 0.55, 0.6);
  const r1 = await imagePoint(rita, 0.85, 0.9);
  await drag(rita, r0, r1);
  await expect(rita.getByTestId("review-new-pin")).toContainText("Pin to region 55% · 60%, 30% × 30% of image");
  await comment(rita, "Unlabelled cars in this area.");
  await expect.poll(async () => (await markOf(rita, "region")) !== undefined).toBe(true);
  const regionMark = await markOf(rita, "region");
  expect(near(regionMark?.x ?? 0, r0[0]) && near(regionMark?.y ?? 0, r0[1])).toBe(true);
  expect(near(regionMark?.w ?? 0, r1[0] - r0[0], 4) && near(regionMark?.h ?? 0, r1[1] - r0[1], 4)).toBe(true);

  // Esc leaves the capture without a pin.
  await rita.getByTestId("review-new-pin-choice").selectOption("point");
  await expect(rita.getByTestId("review-pin-capture")).toHaveCount(1);
  await rita.keyboard.press("Escape");
  await expect(rita.getByTestId("review-pin-capture")).toHaveCount(0);
  await expect(rita.getByTestId("review-new-pin-choice")).toHaveValue("none");

  // Alice sees the three pins appear, numbered 1-3 in creation order, at the same image points.
  await expect(alice.getByTestId("review-pin-mark")).toHaveCount(3);
  await expect(alice.locator('[data-testid="review-pin-mark"] button')).toHaveText(["1", "2", "3"]);
  const alicePoint = await markOf(alice, "point");
  const [apx, apy] = await imagePoint(alice, 0.7, 0.25);
  expect(near(alicePoint?.x ?? 0, apx) && near(alicePoint?.y ?? 0, apy)).toBe(true);
  await shot(rita, "review-pins-rita");

  // Hover: author and first line. Click: the thread opens in the Review tab.
  const pointBadge = alice.locator('[data-testid="review-pin-mark"][data-kind="point"] button');
  await pointBadge.hover();
  await expect(alice.getByTestId("review-pin-tip")).toBeVisible();
  await expect(alice.getByTestId("review-pin-tip")).toHaveText("Rita: A sign is missing here.");
  const ritaBadge = rita.locator('[data-testid="review-pin-mark"][data-kind="point"] button');
  await ritaBadge.hover();
  await expect(rita.getByTestId("review-pin-tip")).toBeVisible();
  await docsShot(rita, "review-pins");
  await alice.getByTestId("tab-objects").click();
  await pointBadge.click();
  await expect(alice.getByTestId("tab-review")).toHaveAttribute("aria-selected", "true");
  const focused = alice.locator('[data-testid="review-thread"][data-focused="true"]');
  await expect(focused).toHaveCount(1);
  await expect(focused).toContainText("A sign is missing here.");

  // The object's pin follows the box when Alice moves it.
  await alice.keyboard.press("v");
  const before = await markOf(rita, "object");
  await drag(alice, await imagePoint(alice, 0.275, 0.4), await imagePoint(alice, 0.375, 0.5));
  await expect
    .poll(async () => {
      const m = await markOf(rita, "object");
      return m !== undefined && before !== undefined && m.x > before.x + 20 && m.y > before.y + 20;
    })
    .toBe(true);

  // Resolved: hidden, or dimmed when asked.
  const pointThread = rita.locator('[data-testid="review-thread"]', { hasText: "A sign is missing here." });
  await pointThread.getByTestId("review-resolve").click();
  await expect(alice.getByTestId("review-pin-mark")).toHaveCount(2);
  await alice.getByTestId("review-show-resolved").check();
  await expect(alice.getByTestId("review-pin-mark")).toHaveCount(3);
  await expect(alice.locator('[data-testid="review-pin-mark"][data-resolved="true"]')).toHaveAttribute(
    "data-kind",
    "point",
  );

  // Deleting the box takes its pin away (the thread stays).
  await alice.getByTestId("tab-objects").click();
  await alice.locator(`[data-testid="object-row"][data-entity="${entity}"]`).getByTestId("object-id").click();
  await alice.keyboard.press("Delete");
  await expect(rita.locator('[data-testid="review-pin-mark"][data-kind="object"]')).toHaveCount(0);
  await expect(rita.getByTestId("review-pin-mark")).toHaveCount(1);
  await expect(rita.getByTestId("review-thread")).toHaveCount(3);
});

test("review pins on a video: a point pinned on a frame carries it and shows on that frame only", async ({ rita }) => {
  const res = await rita.request.get(`/datasets/demo_video/records?sort=id&order=asc&limit=1&offset=2`);
  expect(res.ok()).toBe(true);
  const record = ((await res.json()) as { items: Array<{ id: string }> }).items[0]?.id ?? "";
  await rita.goto(`/#/explorer/demo_video/workspace/${record}`);
  await expect(rita.getByTestId("workspace")).toHaveAttribute("data-workspace", "video");
  await expect(rita.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved|readOnly/);
  await expect.poll(() => canvasMounted(rita), { timeout: 15_000 }).toBe(true);
  const timeline = rita.getByTestId("video-timeline");
  await expect(timeline).toHaveAttribute("data-count", "20");
  const seek = async (frame: number) => {
    await rita.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await rita.keyboard.press("Home");
    for (let i = 0; i < frame; i++) await rita.keyboard.press("f");
    await expect(timeline).toHaveAttribute("data-frame", String(frame));
  };
  await seek(3);

  await rita.getByTestId("tab-review").click();
  await rita.getByTestId("review-new-pin-choice").selectOption("point");
  const [x, y] = await imagePoint(rita, 0.4, 0.6);
  await rita.mouse.click(x, y);
  await expect(rita.getByTestId("review-new-pin")).toContainText("Pin to point 40% · 60% of image, frame 4");
  await comment(rita, "Occluded here, mark it.");
  await expect(rita.getByTestId("review-pin-mark")).toHaveCount(1);

  await seek(5);
  await expect(rita.getByTestId("review-pin-mark")).toHaveCount(0);
  await seek(3);
  await expect(rita.getByTestId("review-pin-mark")).toHaveCount(1);
  const m = await markOf(rita, "point");
  expect(near(m?.x ?? 0, x) && near(m?.y ?? 0, y)).toBe(true);
});
