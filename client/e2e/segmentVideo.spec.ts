import { readFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { canvasMounted, docRows, expect, imagePoint, test } from "./support/fixtures.js";

/**
 * Click-to-segment in the video workspace against the real server, its inference worker and the
 * tiny SAM-shaped model the e2e server registers (scripts/tiny-sam.mjs): Alice seeks to a frame,
 * presses S and clicks the object; the draft mask lands on that frame as a model proposal (a mask
 * keyframe of a new track), Bob sees it live; Enter accepts it and Bob sees it accepted, on that
 * frame. On an image sequence (`demo_video`) and on a video file (Pixano-built `video_file`, its
 * frames decoded by the server's ffmpeg).
 */
const FIXTURE = path.join(import.meta.dirname, "..", "..", "fixtures", "pixano-built");
const VIDEO_FILE_DS = (
  JSON.parse(readFileSync(path.join(FIXTURE, "library-extra", "video_file", "info.json"), "utf8")) as { id: string }
).id;

const metadata = (row: Record<string, unknown> | undefined): Record<string, unknown> =>
  typeof row?.source_metadata === "string" ? (JSON.parse(row.source_metadata) as Record<string, unknown>) : {};

/** An editable `demo_video` clip (the last one, as track.spec.ts: the other video specs take the first ones). */
async function sequenceRecord(page: Page): Promise<string> {
  const res = await page.request.get(`/datasets/demo_video/records?sort=id&order=asc&limit=100`);
  expect(res.ok()).toBe(true);
  const items = ((await res.json()) as { items: Array<{ id: string; status: string }> }).items;
  const open = items.filter((r) => r.status === "new" || r.status === "inProgress");
  const id = open[open.length - 1]?.id;
  if (!id) throw new Error("no editable video record");
  return id;
}

async function openVideo(page: Page, dataset: string, recordId: string, frames: number): Promise<void> {
  await page.goto(`/#/explorer/${dataset}/workspace/${recordId}`);
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-workspace", "video");
  await expect(page.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved/);
  await expect.poll(() => canvasMounted(page), { timeout: 15_000 }).toBe(true);
  await expect(page.getByTestId("video-timeline")).toHaveAttribute("data-count", String(frames));
}

async function seek(page: Page, frame: number): Promise<void> {
  await page.keyboard.press("Home");
  for (let i = 0; i < frame; i++) await page.keyboard.press("f");
  await expect(page.getByTestId("video-timeline")).toHaveAttribute("data-frame", String(frame));
}

async function clickToSegment(
  alice: Page,
  bob: Page,
  on: { dataset: string; record: string; frames: number; frame: number },
): Promise<void> {
  await Promise.all([
    openVideo(alice, on.dataset, on.record, on.frames),
    openVideo(bob, on.dataset, on.record, on.frames),
  ]);
  const before = new Set((await docRows(bob, "masks")).map((m) => String(m.id)));
  const drafts = async () =>
    (await docRows(bob, "masks")).filter((m) => !before.has(String(m.id)) && m.source_type === "model");

  await seek(alice, on.frame);
  await alice.getByTestId("canvas-host").hover();
  await alice.keyboard.press("s");
  const [x, y] = await imagePoint(alice, 0.4, 0.5);
  await alice.mouse.click(x, y);

  // Bob sees the draft live: a model proposal on that frame, a keyframe of a new track.
  await expect.poll(async () => (await drafts()).length, { timeout: 30_000 }).toBe(1);
  const [draft] = await drafts();
  if (!draft) throw new Error("unreachable");
  expect(draft.source_name).toBe("tiny-sam");
  expect(Number(draft.frame_index)).toBe(on.frame);
  expect(typeof draft.tracklet_id === "string" && draft.tracklet_id !== "").toBe(true);
  expect(metadata(draft).review_status).toBeUndefined();
  const [h, w] = draft.size as [number, number];
  expect(h).toBeGreaterThan(0);
  expect(w).toBeGreaterThan(0);
  const track = (await docRows(bob, "tracklets")).find((t) => t.id === draft.tracklet_id);
  expect(track?.entity_id).toBe(draft.entity_id);

  // Enter accepts it: Bob sees the mask accepted, still on that frame.
  await alice.keyboard.press("Enter");
  await expect
    .poll(async () => metadata((await drafts()).find((m) => m.id === draft.id)).review_status)
    .toBe("accepted");
  expect(Number((await drafts()).find((m) => m.id === draft.id)?.frame_index)).toBe(on.frame);

  // On the next frame the selected track gets the next draft; Esc discards it and leaves nothing behind.
  const tracks = (await docRows(bob, "tracklets")).length;
  await seek(alice, on.frame + 1);
  const [x2, y2] = await imagePoint(alice, 0.7, 0.3);
  await alice.mouse.click(x2, y2);
  await expect.poll(async () => (await drafts()).length, { timeout: 30_000 }).toBe(2);
  const next = (await drafts()).find((m) => m.id !== draft.id);
  expect(Number(next?.frame_index)).toBe(on.frame + 1);
  expect(next?.tracklet_id).toBe(draft.tracklet_id);
  await alice.keyboard.press("Escape");
  await expect.poll(async () => (await drafts()).length).toBe(1);
  await expect.poll(async () => (await docRows(bob, "tracklets")).length).toBe(tracks);
}

test("click-to-segment on an image sequence's frame: the draft lands on that frame live for a second user, accepted", async ({
  alice,
  bob,
}) => {
  const record = await sequenceRecord(alice);
  await clickToSegment(alice, bob, { dataset: "demo_video", record, frames: 20, frame: 3 });
});

test("click-to-segment on a video file's frame: the server decodes it, the draft lands on that frame live, accepted", async ({
  alice,
  bob,
}) => {
  await clickToSegment(alice, bob, { dataset: VIDEO_FILE_DS, record: "movie", frames: 6, frame: 2 });
});
