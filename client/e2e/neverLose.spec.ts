import type { Page, WebSocketRoute } from "@playwright/test";
import {
  canvasMounted,
  DATASET,
  expect,
  openRecord,
  recordInStatus,
  shot,
  test,
  users,
  workspaceUrl,
} from "./support/fixtures.js";

/**
 * Edits are never lost and the client never pretends (Hardening II, items 18–20): edits queued
 * offline survive moving to another record, a reload and a closed tab; an ended sign-in asks to
 * sign in again in place and then saves the queue; an unknown record says so and stops
 * connecting; a loading record says it is loading; a failed listing is an error, not "no match".
 * What reached the server is read through REST by another signed-in user (Bob).
 */

async function requireCanvas(page: Page): Promise<void> {
  await expect.poll(() => canvasMounted(page), { timeout: 10_000 }).toBe(true);
}

async function at(page: Page, fx: number, fy: number): Promise<[number, number]> {
  const box = await page.getByTestId("canvas-host").boundingBox();
  if (!box) throw new Error("no canvas host");
  return [box.x + box.width * fx, box.y + box.height * fy];
}

/** Draws a box with the rectangle tool and confirms its label form. */
async function drawBox(page: Page, fx: number, fy: number): Promise<void> {
  const from = await at(page, fx, fy);
  const to = await at(page, fx + 0.1, fy + 0.12);
  await page.keyboard.press("r");
  await page.mouse.move(...from);
  await page.mouse.down();
  await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 4 });
  await page.mouse.move(...to, { steps: 4 });
  await page.mouse.up();
  await expect(page.getByTestId("creation-form")).toBeVisible();
  await page.keyboard.press("1");
  await expect(page.getByTestId("creation-form")).toHaveCount(0);
}

/** The record's boxes as the server has them (REST, read by another signed-in user). */
async function serverBoxes(reader: Page, record: string): Promise<number> {
  const res = await reader.request.get(
    `/datasets/${DATASET}/bboxes?record_id=${encodeURIComponent(record)}&limit=1000`,
  );
  expect(res.ok(), `GET bboxes: ${res.status()}`).toBe(true);
  return ((await res.json()) as { items: unknown[] }).items.length;
}

/** Edits of the open record not yet durable, as the page's sync tracker counts them (test hook). */
function pendingEdits(page: Page): Promise<number> {
  return page.evaluate(() => {
    const hook = (window as unknown as { __tessera?: { session: { tracker: { status(): { pending: number } } } } })
      .__tessera;
    return hook ? hook.session.tracker.status().pending : -1;
  });
}

/**
 * Routes the sync websockets of the page's browser context (every tab: another tab would flush the
 * shared outbox) through Playwright, so they can be cut and refused at will.
 */
async function syncSwitch(page: Page): Promise<{ block(): void; unblock(): void; attempts(): number }> {
  let blocked = false;
  let attempts = 0;
  const live: WebSocketRoute[] = [];
  await page.context().routeWebSocket(/\/sync\//, (ws) => {
    attempts++;
    if (blocked) {
      void ws.close({ code: 1011, reason: "blocked by the test" });
      return;
    }
    live.push(ws);
    ws.connectToServer();
  });
  return {
    block() {
      blocked = true;
      for (const ws of live.splice(0)) void ws.close({ code: 1011, reason: "blocked by the test" });
    },
    unblock() {
      blocked = false;
    },
    attempts: () => attempts,
  };
}

test("boxes drawn offline survive Shift+→ to the next record and a reload, then reach the server", async ({
  alice,
  bob,
}) => {
  const record = await recordInStatus(alice, "new", 20);
  const sync = await syncSwitch(alice);
  await openRecord(alice, record);
  await requireCanvas(alice);
  const before = await serverBoxes(bob, record);

  await alice.context().setOffline(true);
  await expect(alice.getByTestId("sync-indicator")).toHaveAttribute("data-phase", "offline");
  await drawBox(alice, 0.2, 0.25);
  await drawBox(alice, 0.55, 0.5);
  await expect(alice.getByTestId("sync-indicator")).toHaveText(/^Offline, \d+ changes queued$/);
  const queued = await pendingEdits(alice);
  expect(queued).toBeGreaterThanOrEqual(2);

  // Next record, still offline: the edits of the one left are shown as queued, not dropped.
  await alice.keyboard.press("Shift+ArrowRight");
  await expect(alice.getByTestId("workspace")).not.toHaveAttribute("data-record", record);
  await expect(alice.getByTestId("queued-elsewhere")).toHaveText(`+${queued} queued on other records`);
  // The next record waits for the network instead of raising error toasts.
  await expect(alice.getByTestId("sync-indicator")).toHaveText("Offline");
  await expect(alice.locator(".toast.error")).toHaveCount(0);

  // A reload (the network back, the sync endpoint still unreachable) keeps them queued.
  sync.block();
  await alice.context().setOffline(false);
  await alice.reload();
  await expect(alice.getByTestId("workspace")).toBeVisible();
  await expect(alice.getByTestId("queued-elsewhere")).toHaveText(`+${queued} queued on other records`);
  expect(await serverBoxes(bob, record)).toBe(before);
  await shot(alice, "30-queued-on-another-record-after-reload");

  // Sync reachable again: both boxes reach the server, and nothing is left queued.
  sync.unblock();
  await expect.poll(() => serverBoxes(bob, record), { timeout: 30_000 }).toBe(before + 2);
  await expect(alice.getByTestId("queued-elsewhere")).toHaveCount(0, { timeout: 15_000 });
});

test("boxes drawn offline survive the tab being closed without unloading, then reach the server from a new tab", async ({
  alice,
  bob,
}) => {
  const record = await recordInStatus(alice, "new", 21);
  await openRecord(alice, record);
  await requireCanvas(alice);
  const before = await serverBoxes(bob, record);

  const context = alice.context();
  await context.setOffline(true);
  await expect(alice.getByTestId("sync-indicator")).toHaveAttribute("data-phase", "offline");
  await drawBox(alice, 0.2, 0.25);
  await drawBox(alice, 0.55, 0.5);
  await expect(alice.getByTestId("sync-indicator")).toHaveText(/^Offline, \d+ changes queued$/);
  await alice.keyboard.press("Shift+ArrowRight");
  await expect(alice.getByTestId("workspace")).not.toHaveAttribute("data-record", record);
  // Gone like a crashed tab: no unload handler runs.
  await alice.close({ runBeforeUnload: false });

  await context.setOffline(false);
  const next = await context.newPage();
  await next.goto(`/#/explorer/${DATASET}`);
  await expect.poll(() => serverBoxes(bob, record), { timeout: 30_000 }).toBe(before + 2);
  await expect(next.locator(`tr.rec[data-record="${record}"]`).getByTestId("record-queued")).toHaveCount(0, {
    timeout: 15_000,
  });
});

test("signing out in another tab asks to sign in again in place (not Offline), and the queued boxes are saved after signing in", async ({
  alice,
  bob,
}) => {
  const record = await recordInStatus(alice, "new", 22);
  const sync = await syncSwitch(alice);
  await openRecord(alice, record);
  await requireCanvas(alice);
  const before = await serverBoxes(bob, record);

  // Two boxes queued while the sync endpoint is unreachable.
  sync.block();
  await drawBox(alice, 0.2, 0.25);
  await drawBox(alice, 0.55, 0.5);
  await expect.poll(() => pendingEdits(alice)).toBeGreaterThanOrEqual(2);

  // Alice signs out in another tab; the sync endpoint is reachable again (and refuses her).
  const other = await alice.context().newPage();
  await other.goto("/#/");
  await other.getByTestId("user-menu").click();
  await other.getByTestId("sign-out").click();
  await expect(other.getByTestId("login-dialog")).toBeVisible();
  // The tab that signed out stops its own connections too: its background flush of Alice's queued
  // record (it has not that record open) must not reconnect, refused, once the endpoint is back.
  let otherTabSockets = 0;
  other.on("websocket", (ws) => {
    if (ws.url().includes("/sync/")) otherTabSockets++;
  });
  sync.unblock();

  await expect(alice.getByTestId("login-dialog")).toBeVisible({ timeout: 15_000 });
  await expect(alice.getByTestId("session-ended")).toBeVisible();
  await expect(alice.getByTestId("workspace")).toHaveAttribute("data-record", record);
  await expect(alice.getByTestId("sync-indicator")).toHaveAttribute("data-phase", "signedOut");
  await expect(alice.getByTestId("sync-indicator")).toHaveText(/^Signed out, \d+ changes queued$/);
  await shot(alice, "31-signed-out-in-another-tab");
  // No reconnect loop while signed out (the provider's longest backoff is 2.5 s).
  const attempts = sync.attempts();
  await alice.waitForTimeout(3500);
  expect(sync.attempts()).toBe(attempts);
  expect(otherTabSockets).toBe(0);
  expect(await serverBoxes(bob, record)).toBe(before);

  await alice.getByLabel("Username").fill(users.alice.username);
  await alice.getByLabel("Password").fill(users.alice.password);
  await alice.getByRole("button", { name: "Sign in" }).click();
  await expect(alice.getByTestId("login-dialog")).toHaveCount(0);
  await expect.poll(() => serverBoxes(bob, record), { timeout: 30_000 }).toBe(before + 2);
  await expect(alice.getByTestId("sync-indicator")).toHaveText("Saved");
});

test("an unknown record id says No such record and stops connecting (no websocket retry loop)", async ({ alice }) => {
  let upgrades = 0;
  alice.on("websocket", (ws) => {
    if (ws.url().includes("/sync/")) upgrades++;
  });
  await alice.goto(workspaceUrl("no-such-record-4f3a"));
  await expect(alice.getByTestId("no-such-record")).toBeVisible();
  await expect(alice.getByTestId("no-such-record")).toContainText("No such record");
  await expect(alice.getByTestId("canvas-host")).toHaveCount(0);
  await shot(alice, "32-no-such-record");
  // Longer than the provider's longest backoff (2.5 s): a retry loop would show.
  const seen = upgrades;
  await alice.waitForTimeout(3500);
  expect(upgrades).toBe(seen);
  expect(upgrades).toBeLessThanOrEqual(1);
});

test("a record still loading says Loading…, not Saved and not No object yet", async ({ alice }) => {
  const record = await recordInStatus(alice, "new", 23);
  let hold = true;
  const held: Array<() => void> = [];
  await alice.routeWebSocket(/\/sync\//, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((m) => {
      if (hold) held.push(() => ws.send(m));
      else ws.send(m);
    });
  });
  await alice.goto(workspaceUrl(record));
  await expect(alice.getByTestId("workspace")).toHaveAttribute("data-record", record);
  await expect(alice.getByTestId("sync-indicator")).toHaveText("Loading…");
  await expect(alice.getByTestId("objects-loading")).toBeVisible();
  await expect(alice.getByText("No object yet")).toHaveCount(0);
  // The server's first frame may still be on its way when Loading… shows: wait for the hold to catch it.
  await expect.poll(() => held.length).toBeGreaterThan(0);
  await expect(alice.getByTestId("sync-indicator")).toHaveText("Loading…");
  await shot(alice, "33-record-loading");

  hold = false;
  for (const send of held.splice(0)) send();
  await expect(alice.getByTestId("sync-indicator")).toHaveText("Saved");
  await expect(alice.getByTestId("objects-loading")).toHaveCount(0);
});

test("a server error in the explorer is shown as an error, not as No record matches", async ({ alice }) => {
  await alice.goto("/#/explorer/no_such_dataset_4f3a");
  await expect(alice.getByTestId("records-error")).toBeVisible();
  await expect(alice.getByTestId("records-error")).toContainText("Cannot list the records");
  await expect(alice.getByText("No record matches.")).toHaveCount(0);
  await shot(alice, "34-explorer-error");
});

test("the explorer row of a record with queued edits shows how many", async ({ alice }) => {
  const record = await recordInStatus(alice, "new", 24);
  const sync = await syncSwitch(alice);
  await openRecord(alice, record);
  await requireCanvas(alice);
  sync.block();
  await drawBox(alice, 0.3, 0.3);
  await expect.poll(() => pendingEdits(alice)).toBeGreaterThanOrEqual(1);
  const queued = await pendingEdits(alice);
  // Reloaded on the explorer, filtered to the record: the count comes from the durable outbox.
  await alice.goto(`/#/explorer/${DATASET}?filter=id:eq:${record}`);
  await expect(alice.locator(`tr.rec[data-record="${record}"]`).getByTestId("record-queued")).toHaveText(
    `${queued} queued`,
  );
  sync.unblock();
  await expect(alice.locator(`tr.rec[data-record="${record}"]`).getByTestId("record-queued")).toHaveCount(0, {
    timeout: 30_000,
  });
});
