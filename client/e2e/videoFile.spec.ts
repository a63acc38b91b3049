import { readFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { canvasMounted, docRows, docsShot, expect, imagePoint, test } from "./support/fixtures.js";

/**
 * The video workspace on a video FILE (Pixano 0.8 `videos` row: the Pixano-built `video_file`
 * dataset, an embedded 6-frame mp4 at 6 fps, copied next to the demo by `serve.mjs`): frames come
 * decoded by the server's ffmpeg; two users, real pointer and keyboard events.
 */
const FIXTURE = path.join(import.meta.dirname, "..", "..", "fixtures", "pixano-built");
const DATASET = (
  JSON.parse(readFileSync(path.join(FIXTURE, "library-extra", "video_file", "info.json"), "utf8")) as { id: string }
).id;
const VIDEO = (
  JSON.parse(readFileSync(path.join(FIXTURE, "reference", "video_file.rows.json"), "utf8")) as {
    tables: { videos: Array<{ id: string }> };
  }
).tables.videos[0]?.id;
const RECORD = "movie";

async function openMovie(page: Page): Promise<void> {
  await page.goto(`/#/explorer/${DATASET}/workspace/${RECORD}`);
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-workspace", "video");
  await expect(page.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved/);
  await expect.poll(() => canvasMounted(page), { timeout: 15_000 }).toBe(true);
  await expect(page.getByTestId("video-timeline")).toHaveAttribute("data-count", "6");
}

async function seek(page: Page, frame: number): Promise<void> {
  await page.keyboard.press("Home");
  for (let i = 0; i < frame; i++) await page.keyboard.press("f");
  await expect(page.getByTestId("video-timeline")).toHaveAttribute("data-frame", String(frame));
}

/** Whether the page's frame cache holds the decoded image of a frame of the video view. */
function decoded(page: Page, index: number): Promise<boolean> {
  return page.evaluate((i) => {
    const v = (
      window as unknown as {
        __tesseraVideo?: { cache(): { has(f: { logicalName: string; index: number }): boolean } | null };
      }
    ).__tesseraVideo;
    return v?.cache()?.has({ logicalName: "video", index: i }) ?? false;
  }, index);
}

/** Screen point at fractions of the frame fitted in the stage. */
const at = imagePoint;

/** Ids of the shapes on the canvas now (stored rows and interpolated ones). */
function onCanvas(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const hook = (window as unknown as { __tessera?: { controller(): unknown } }).__tessera;
    const c = hook?.controller() as { scene: { all(): Iterable<{ ref: { id: string } }> } };
    return [...c.scene.all()].map((i) => i.ref.id);
  });
}

test("A seeks to frame 3 of a video file and draws; B sees the box on frame 3 and not on frame 0", async ({
  alice,
  bob,
}) => {
  expect(VIDEO).toBeDefined();
  await Promise.all([openMovie(alice), openMovie(bob)]);
  const tracksBefore = (await docRows(alice, "tracklets")).map((t) => t.id);

  await seek(alice, 3);
  // The frame on screen is the server's decode of the file's frame 3.
  await expect.poll(() => decoded(alice, 3)).toBe(true);
  await alice.keyboard.press("r");
  const from = await at(alice, 0.3, 0.2);
  const to = await at(alice, 0.6, 0.55);
  await alice.mouse.move(...from);
  await alice.mouse.down();
  await alice.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 4 });
  await alice.mouse.move(...to, { steps: 4 });
  await alice.mouse.up();
  await expect(alice.getByTestId("creation-form")).toBeVisible();
  // The dataset has no category list yet: typed, then confirmed.
  await alice.getByTestId("category-input").fill("square");
  await alice.getByTestId("category-input").press("Enter");
  await expect(alice.getByTestId("creation-form")).toHaveCount(0);

  // What Pixano 0.8 writes on a video file's frame: view_id = the videos row, frame_id "".
  const track = (await docRows(alice, "tracklets")).find((t) => !tracksBefore.includes(t.id));
  expect(track).toMatchObject({ view_id: VIDEO, start_timestep: 3, end_timestep: 3 });
  const box = (await docRows(alice, "bboxes")).find((b) => b.tracklet_id === track?.id);
  expect(box).toMatchObject({ frame_index: 3, view_id: VIDEO, frame_id: "" });
  const boxId = String(box?.id);
  await docsShot(alice, "video_file");

  await seek(bob, 3);
  await expect.poll(() => decoded(bob, 3)).toBe(true);
  await expect.poll(() => onCanvas(bob)).toContain(boxId);
  await seek(bob, 0);
  await expect.poll(() => decoded(bob, 0)).toBe(true);
  const atZero = await onCanvas(bob);
  expect(atZero).not.toContain(boxId);
  expect(atZero).not.toContain(`~${String(track?.id)}`);
  // The Pixano-imported track's keyframe on frame 0 is there: the frame's rows are drawn, only not ours.
  expect(atZero.length).toBeGreaterThan(0);
});
