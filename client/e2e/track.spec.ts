import type { Page } from "@playwright/test";
import { canvasMounted, docRows, expect, imagePoint, test } from "./support/fixtures.js";

/**
 * Tracking assist in the video workspace (README "Video workspace") against the real server, its
 * inference worker and the tiny VitTrack-layout tracker the e2e server registers
 * (scripts/tiny-tracker.mjs): Alice draws a box on a frame of a `demo_video` clip and presses
 * Track forward; Bob, on the same record, sees the proposed keyframes arrive live and the run's
 * progress end.
 */
const DATASET = "demo_video";

async function videoRecord(page: Page): Promise<string> {
  const res = await page.request.get(`/datasets/${DATASET}/records?sort=id&order=asc&limit=100`);
  expect(res.ok()).toBe(true);
  const items = ((await res.json()) as { items: Array<{ id: string; status: string }> }).items;
  const open = items.filter((r) => r.status === "new" || r.status === "inProgress");
  // The last editable clip: the video specs take the first ones.
  const id = open[open.length - 1]?.id;
  if (!id) throw new Error("no editable video record");
  return id;
}

async function openVideo(page: Page, recordId: string): Promise<void> {
  await page.goto(`/#/explorer/${DATASET}/workspace/${recordId}`);
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-workspace", "video");
  await expect(page.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved/);
  await expect.poll(() => canvasMounted(page), { timeout: 15_000 }).toBe(true);
  await expect(page.getByTestId("video-timeline")).toHaveAttribute("data-count", "20");
}

test("Track forward proposes the selected track's next keyframes, live for another user", async ({ alice, bob }) => {
  const record = await videoRecord(alice);
  await Promise.all([openVideo(alice, record), openVideo(bob, record)]);
  const before = (await docRows(alice, "tracklets")).map((t) => t.id);

  // Frame 2: a new box makes a track (selected).
  await alice.keyboard.press("Home");
  await alice.keyboard.press("f");
  await alice.keyboard.press("f");
  await expect(alice.getByTestId("video-timeline")).toHaveAttribute("data-frame", "2");
  await alice.keyboard.press("r");
  const from = await imagePoint(alice, 0.05, 0.05);
  const to = await imagePoint(alice, 0.2, 0.2);
  await alice.mouse.move(...from);
  await alice.mouse.down();
  await alice.mouse.move(...to, { steps: 6 });
  await alice.mouse.up();
  await expect(alice.getByTestId("creation-form")).toBeVisible();
  await alice.keyboard.press("1");
  await expect(alice.getByTestId("creation-form")).toHaveCount(0);
  const track = (await docRows(alice, "tracklets")).find((t) => !before.includes(t.id));
  const trackId = String(track?.id);

  await expect(alice.getByTestId("track-forward")).toBeEnabled();
  await alice.keyboard.press("t");

  // Bob did nothing: the proposals reach his document live, and the run's progress his dock.
  await expect
    .poll(
      async () =>
        (await docRows(bob, "bboxes")).filter((b) => b.tracklet_id === trackId && b.source_type === "model").length,
      {
        timeout: 30_000,
      },
    )
    .toBeGreaterThan(0);
  await expect(bob.getByTestId("track-run").first()).toHaveAttribute("data-status", "done", { timeout: 60_000 });
  await expect(alice.getByTestId("track-run").first()).toHaveAttribute("data-status", "done");
  const proposals = (await docRows(bob, "bboxes")).filter(
    (b) => b.tracklet_id === trackId && b.source_type === "model",
  );
  for (const b of proposals) {
    expect(b.source_name).toBe("tiny-tracker");
    expect(b.frame_index as number).toBeGreaterThan(2);
    expect(JSON.parse(String(b.source_metadata))).toMatchObject({ review_status: "pending" });
  }
});
