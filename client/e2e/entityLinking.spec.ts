import type { Page } from "@playwright/test";
import { canvasMounted, docRows, docsShot, expect, test } from "./support/fixtures.js";

/**
 * The entity-linking workspace (Pixano `image_text_entity_linking`) on the demo's
 * `demo_entity_linking` dataset, two people on one record, accounts on: a span made by selecting
 * caption text with the mouse, linked to an entity that has a box, appears live for the other
 * person; hovering it outlines the box, hovering the box lights the span; a discontinuous span
 * made with Ctrl+select; who is selecting where shows in presence.
 */
const DATASET = "demo_entity_linking";

/** The n-th record someone can annotate (new or in progress), by id. */
async function editableRecord(page: Page, n: number): Promise<string> {
  const ids: string[] = [];
  for (const status of ["new", "inProgress"]) {
    const res = await page.request.get(`/datasets/${DATASET}/records?filter=status:eq:${status}&limit=100`);
    expect(res.ok()).toBe(true);
    ids.push(...((await res.json()) as { items: Array<{ id: string }> }).items.map((r) => r.id));
  }
  ids.sort();
  const id = ids[n];
  if (!id) throw new Error(`no editable record #${n} in ${DATASET}`);
  return id;
}

async function open(page: Page, recordId: string): Promise<void> {
  await page.goto(`/#/explorer/${DATASET}/workspace/${recordId}`);
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-workspace", "entity_linking");
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-record", recordId);
  await expect(page.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved|readOnly/);
  await expect(page.getByTestId("el-text").first()).toBeVisible();
  await expect.poll(() => canvasMounted(page)).toBe(true);
}

async function caption(page: Page): Promise<{ viewId: string; text: string }> {
  const el = page.getByTestId("el-text").first();
  const viewId = await el.getAttribute("data-view-id");
  const text = await el.textContent();
  if (!viewId || text === null) throw new Error("no caption");
  return { viewId, text };
}

/** Screen rectangle of the characters [start, end) of the caption. */
function charRect(page: Page, start: number, end: number): Promise<{ x0: number; x1: number; y: number }> {
  return page.evaluate(
    ([s, e]) => {
      const root = document.querySelector('[data-testid="el-text"]');
      if (!root) throw new Error("no caption element");
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let seen = 0;
      let startSet = false;
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const len = (n.textContent ?? "").length;
        // A start at a run's end belongs to the next run (else the first rectangle is empty).
        if (!startSet && s < seen + len) {
          range.setStart(n, s - seen);
          startSet = true;
        }
        if (e <= seen + len) {
          range.setEnd(n, e - seen);
          break;
        }
        seen += len;
      }
      const r = [...range.getClientRects()].find((x) => x.width > 0);
      if (!r) throw new Error("no rectangle");
      return { x0: r.left + 1, x1: r.right - 1, y: r.top + r.height / 2 };
    },
    [start, end] as const,
  );
}

/** Selects caption characters [start, end) with a real mouse drag (Ctrl held to add a range). */
async function dragSelect(page: Page, start: number, end: number, ctrl = false): Promise<void> {
  const r = await charRect(page, start, end);
  if (ctrl) await page.keyboard.down("Control");
  await page.mouse.move(r.x0, r.y);
  await page.mouse.down();
  await page.mouse.move((r.x0 + r.x1) / 2, r.y, { steps: 3 });
  await page.mouse.move(r.x1, r.y, { steps: 3 });
  await page.mouse.up();
  if (ctrl) await page.keyboard.up("Control");
}

/** Entities outlined on the canvas on behalf of a panel (the canvas controller's state). */
function highlighted(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const hook = (window as unknown as { __tessera?: { controller(): { highlighted?: Set<string> } | null } })
      .__tessera;
    return [...(hook?.controller()?.highlighted ?? new Set<string>())];
  });
}

/** Screen point at the centre of an entity's box (normalised xywh on the first view). */
async function boxCentre(page: Page, entityId: string): Promise<[number, number]> {
  const boxes = await docRows(page, "bboxes");
  const box = boxes.find((b) => b.entity_id === entityId);
  const coords = box?.coords as number[] | undefined;
  if (!coords) throw new Error(`no box for ${entityId}`);
  const host = await page.getByTestId("canvas-host").boundingBox();
  if (!host) throw new Error("no canvas host");
  const p = await page.evaluate(
    ([nx, ny]) => {
      const c = (
        window as unknown as {
          __tessera: {
            controller(): {
              camera: { x: number; y: number; zoom: number };
              scene: { tiles: Array<{ x: number; y: number; width: number; height: number }> };
            };
          };
        }
      ).__tessera.controller();
      const t = c.scene.tiles[0];
      if (!t) throw new Error("no view tile");
      return [c.camera.x + (t.x + nx * t.width) * c.camera.zoom, c.camera.y + (t.y + ny * t.height) * c.camera.zoom];
    },
    [(coords[0] ?? 0) + (coords[2] ?? 0) / 2, (coords[1] ?? 0) + (coords[3] ?? 0) / 2] as const,
  );
  return [host.x + (p[0] ?? 0), host.y + (p[1] ?? 0)];
}

test("A links a selected word to an entity with a box; B sees the span live, hovering it outlines the box", async ({
  alice,
  bob,
}) => {
  const record = await editableRecord(alice, 0);
  await Promise.all([open(alice, record), open(bob, record)]);
  const { text } = await caption(alice);
  // "On a <weather> day, …": "day" names no entity yet.
  const start = text.indexOf(" day,") + 1;
  expect(start).toBeGreaterThan(0);
  const before = (await docRows(alice, "text_spans")).length;

  // A drag that ends below the text selects up to its end; Esc drops the selection.
  const tail = text.lastIndexOf(" ") + 1;
  const from = await charRect(alice, tail, tail + 1);
  const box = await alice.getByTestId("el-text").first().boundingBox();
  if (!box) throw new Error("no caption box");
  await alice.mouse.move(from.x0, from.y);
  await alice.mouse.down();
  await alice.mouse.move(box.x + box.width / 2, box.y + box.height + 30, { steps: 5 });
  await alice.mouse.up();
  await expect(alice.getByTestId("el-pending-mention")).toHaveText(text.slice(tail).trim());
  await alice.keyboard.press("Escape");
  await expect(alice.getByTestId("el-linkbar")).toHaveCount(0);

  await dragSelect(alice, start, start + 3);
  await expect(alice.getByTestId("el-pending-mention")).toHaveText("day");
  // Who is selecting where: Bob sees Alice's selection, with her name.
  await expect(bob.locator('.el-seg.el-peer[data-peer="Alice"]')).toHaveText("day");

  // Link it to an entity that has a box on the image.
  const option = alice.getByTestId("el-entity-option").filter({ hasText: "box" }).first();
  const entityId = await option.getAttribute("data-entity-id");
  if (!entityId) throw new Error("no entity with a box");
  await option.click();
  const t0 = Date.now();
  await alice.getByTestId("el-link").click();

  // Alice's document holds the row Pixano would write: UTF-16 offsets, the mention, the view.
  await expect.poll(async () => (await docRows(alice, "text_spans")).length).toBe(before + 1);
  const row = (await docRows(alice, "text_spans")).find((r) => r.mention === "day");
  expect(row).toMatchObject({ entity_id: entityId, spans_start: [start], spans_end: [start + 3] });
  const spanId = String(row?.id);

  // Bob sees it appear, highlighted in the entity's colour, without reloading.
  const bobSeg = bob.locator(`[data-testid="el-seg-span"][data-spans~="${spanId}"]`);
  await expect(bobSeg).toHaveText("day");
  console.log(`span visible to B after ${Date.now() - t0} ms`);
  await expect(bob.locator(`[data-testid="el-span-row"][data-span-id="${spanId}"]`)).toContainText("day");
  await expect(bob.locator('.el-seg.el-peer[data-peer="Alice"]')).toHaveCount(0);

  // Hovering the span outlines the entity's shapes on Bob's canvas; leaving it stops.
  await bobSeg.hover();
  await expect.poll(() => highlighted(bob)).toEqual([entityId]);
  await expect(bobSeg).toHaveClass(/el-lit/);
  await bob.mouse.move(5, 5);
  await expect.poll(() => highlighted(bob)).toEqual([]);

  // Hovering the box on the canvas lights the span in the text.
  await bob.mouse.move(...(await boxCentre(bob, entityId)), { steps: 4 });
  await expect(bobSeg).toHaveClass(/el-lit/);
  await bob.mouse.move(5, 5);

  // Selecting the entity in the object list lights its spans too.
  await alice.locator(`[data-testid="object-row"][data-entity="${entityId}"]`).click();
  await expect(alice.locator(`[data-testid="el-seg-span"][data-spans~="${spanId}"]`)).toHaveClass(/el-lit/);

  // Bob re-links it to another entity; Alice sees the change. Then he deletes it.
  const other = (await docRows(bob, "entities")).map((e) => String(e.id)).find((id) => id !== entityId);
  if (!other) throw new Error("the record has a single entity");
  await bob
    .locator(`[data-testid="el-span-row"][data-span-id="${spanId}"] [data-testid="el-relink"]`)
    .selectOption(other);
  await expect
    .poll(async () => (await docRows(alice, "text_spans")).find((r) => r.id === spanId)?.entity_id)
    .toBe(other);
  await bob.locator(`[data-testid="el-span-row"][data-span-id="${spanId}"] [data-testid="el-delete-span"]`).click();
  await expect(alice.locator(`[data-testid="el-seg-span"][data-spans~="${spanId}"]`)).toHaveCount(0);
  // The entity it was linked to keeps its box, so it stays.
  expect((await docRows(alice, "entities")).some((e) => e.id === other)).toBe(true);
});

test("A makes a discontinuous span with Ctrl+select for a new entity; B sees both pieces", async ({ alice, bob }) => {
  const record = await editableRecord(alice, 1);
  await Promise.all([open(alice, record), open(bob, record)]);
  const { text } = await caption(alice);
  const dayAt = text.indexOf(" day,") + 1;
  expect(dayAt).toBeGreaterThan(0);

  await dragSelect(alice, 0, 2); // "On"
  await dragSelect(alice, dayAt, dayAt + 3, true); // Ctrl: "day" is added as a second range
  await expect(alice.getByTestId("el-pending-mention")).toHaveText("On ... day");
  await alice.getByTestId("el-new-name").fill("time of day");
  await alice.keyboard.press("Enter");

  await expect
    .poll(async () => (await docRows(alice, "text_spans")).find((r) => r.mention === "On ... day"))
    .toMatchObject({ spans_start: [0, dayAt], spans_end: [2, dayAt + 3] });
  const row = (await docRows(alice, "text_spans")).find((r) => r.mention === "On ... day");
  const spanId = String(row?.id);
  const entity = (await docRows(alice, "entities")).find((e) => e.id === row?.entity_id);
  expect(entity?.name).toBe("time of day");

  const pieces = bob.locator(`[data-testid="el-seg-span"][data-spans~="${spanId}"]`);
  await expect(pieces).toHaveCount(2);
  await expect(pieces.nth(0)).toHaveText("On");
  await expect(pieces.nth(1)).toHaveText("day");

  // Screenshot for the docs: Bob hovering an entity's span (its box outlined), Alice selecting.
  const withBox = new Set((await docRows(bob, "bboxes")).map((b) => String(b.entity_id)));
  const boxedEntity = (await docRows(bob, "text_spans")).map((r) => String(r.entity_id)).find((id) => withBox.has(id));
  if (!boxedEntity) throw new Error("no span of an entity with a box");
  const boxed = bob.locator(`[data-testid="el-seg-span"][data-entity="${boxedEntity}"]`).first();
  await boxed.hover();
  await dragSelect(alice, "On a ".length, dayAt - 1); // the weather word: "On a snowy day"
  await expect(bob.locator(".el-seg.el-peer")).not.toHaveCount(0);
  await bob.mouse.move(5, 5);
  await boxed.hover();
  await expect(boxed).toHaveClass(/el-lit/);
  await expect.poll(() => highlighted(bob)).toEqual([boxedEntity]);
  await docsShot(bob, "entity_linking");

  // Clicking a span selects it; Delete removes it, for Alice too.
  const boxedId = (await boxed.getAttribute("data-spans"))?.split(" ")[0];
  if (!boxedId) throw new Error("no span id");
  await boxed.click();
  await bob.keyboard.press("Delete");
  await expect(alice.locator(`[data-testid="el-seg-span"][data-spans~="${boxedId}"]`)).toHaveCount(0);

  // One Ctrl+Z of Alice removes the span and the entity it made.
  await alice.keyboard.press("Escape");
  await alice.locator(".stage").click({ position: { x: 5, y: 5 } });
  await alice.keyboard.press("Control+z");
  await expect(bob.locator(`[data-testid="el-seg-span"][data-spans~="${spanId}"]`)).toHaveCount(0);
  await expect.poll(async () => (await docRows(bob, "entities")).some((e) => e.id === row?.entity_id)).toBe(false);
  // Bob's deletion is not Alice's to undo: the other span stays gone.
  await expect(alice.locator(`[data-testid="el-seg-span"][data-spans~="${boxedId}"]`)).toHaveCount(0);
});

test("three people: A and B link different words at the same moment, R sees both and all converge", async ({
  alice,
  bob,
  rita,
}) => {
  const record = await editableRecord(alice, 2);
  await Promise.all([open(alice, record), open(bob, record), open(rita, record)]);
  const { text } = await caption(alice);
  const dayAt = text.indexOf(" day,") + 1;
  expect(dayAt).toBeGreaterThan(0);
  const mentions = async (page: Page) => {
    const rows = await docRows(page, "text_spans");
    return ["On", "day"].map((m) => rows.filter((r) => r.mention === m).length);
  };
  const [on0, day0] = await mentions(alice);

  await Promise.all([dragSelect(alice, 0, 2), dragSelect(bob, dayAt, dayAt + 3)]);
  await expect(alice.getByTestId("el-pending-mention")).toHaveText("On");
  await expect(bob.getByTestId("el-pending-mention")).toHaveText("day");
  // Each sees the other's selection; Rita sees both.
  await expect(rita.locator('.el-seg.el-peer[data-peer="Alice"]')).toHaveText("On");
  await expect(rita.locator('.el-seg.el-peer[data-peer="Bob"]')).toHaveText("day");
  await Promise.all([alice.getByTestId("el-link").click(), bob.getByTestId("el-link").click()]);

  for (const page of [alice, bob, rita])
    await expect.poll(() => mentions(page)).toEqual([(on0 ?? 0) + 1, (day0 ?? 0) + 1]);
  const ids = async (page: Page) =>
    (await docRows(page, "text_spans")).map((r) => `${String(r.id)}:${String(r.entity_id)}`).sort();
  const [a, b, r] = await Promise.all([ids(alice), ids(bob), ids(rita)]);
  expect(b).toEqual(a);
  expect(r).toEqual(a);
  await expect(rita.locator('[data-testid="el-seg-span"]').filter({ hasText: /^On$/ })).toHaveCount(1);
  await expect(rita.locator('[data-testid="el-seg-span"]').filter({ hasText: /^day$/ })).toHaveCount(1);
  await expect(rita.locator(".el-seg.el-peer")).toHaveCount(0);
});
