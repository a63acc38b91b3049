import { canvasMounted, docRows, expect, imagePoint, openRecord, recordInStatus, test } from "./support/fixtures.js";

/**
 * Click-to-segment (README "AI assist") against the real server, its inference worker and the tiny
 * SAM-shaped model the e2e server registers (scripts/tiny-sam.mjs: a disc around the positive
 * points): Alice's click writes a draft mask into the record document, Bob sees it live as a
 * model proposal; a second click refines the same draft; Enter accepts it into a normal mask.
 */
const metadata = (row: Record<string, unknown> | undefined): Record<string, unknown> =>
  typeof row?.source_metadata === "string" ? (JSON.parse(row.source_metadata) as Record<string, unknown>) : {};

test("click-to-segment: the draft is seen live by a second user, refined by a second click, accepted into a mask", async ({
  alice,
  bob,
}) => {
  const rec = await recordInStatus(alice, "new", 6);
  await Promise.all([openRecord(alice, rec), openRecord(bob, rec)]);
  await expect.poll(() => canvasMounted(alice)).toBe(true);
  const before = new Set((await docRows(bob, "masks")).map((m) => String(m.id)));
  const drafts = async () =>
    (await docRows(bob, "masks")).filter((m) => !before.has(String(m.id)) && m.source_type === "model");

  await alice.getByTestId("canvas-host").hover();
  await alice.keyboard.press("s");
  const [x, y] = await imagePoint(alice, 0.3, 0.4);
  await alice.mouse.click(x, y);
  await expect.poll(async () => (await drafts()).length).toBe(1);
  const [draft] = await drafts();
  if (!draft) throw new Error("unreachable");
  expect(draft.source_name).toBe("tiny-sam");
  expect(metadata(draft).confidence).toBe(0.875);
  expect(metadata(draft).review_status).toBeUndefined();
  const [h, w] = draft.size as [number, number];
  expect(h).toBeGreaterThan(0);
  expect(w).toBeGreaterThan(0);

  // A second click refines the same draft (same row, new mask): no second draft.
  const [x2, y2] = await imagePoint(alice, 0.6, 0.6);
  await alice.mouse.click(x2, y2);
  await expect.poll(async () => (await drafts()).find((m) => m.id === draft.id)?.counts).not.toBe(draft.counts);
  expect(await drafts()).toHaveLength(1);

  // Enter accepts it: a normal mask, status accepted, seen by Bob.
  await alice.keyboard.press("Enter");
  await expect
    .poll(async () => metadata((await drafts()).find((m) => m.id === draft.id)).review_status)
    .toBe("accepted");
  // Pixano's REST sees the accepted mask once it is folded into the rows.
  await expect
    .poll(async () => {
      const res = await bob.request.get(`/datasets/demo_image/masks/${String(draft.id)}`);
      return res.ok() ? metadata((await res.json()) as Record<string, unknown>).review_status : null;
    })
    .toBe("accepted");
});
