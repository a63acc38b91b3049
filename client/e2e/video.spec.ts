import type { Page } from "@playwright/test";
import { canvasMounted, docRows, docsShot, expect, imagePoint, test } from "./support/fixtures.js";

/**
 * The video workspace on the demo library's `demo_video` clips (20 frames at 10 fps, frames in
 * `sequence_frames`), with real pointer and keyboard events in two and three browsers.
 */
const DATASET = "demo_video";

/** The n-th clip an annotator can edit (new or in progress; the demo seeds random statuses), wrapping around. */
async function videoRecord(page: Page, n: number): Promise<string> {
  const res = await page.request.get(`/datasets/${DATASET}/records?sort=id&order=asc&limit=100`);
  expect(res.ok()).toBe(true);
  const items = ((await res.json()) as { items: Array<{ id: string; status: string }> }).items;
  const open = items.filter((r) => r.status === "new" || r.status === "inProgress");
  const id = open[n % Math.max(1, open.length)]?.id;
  if (!id) throw new Error(`no editable video record (statuses: ${items.map((r) => r.status).join(", ")})`);
  return id;
}

async function openVideo(page: Page, recordId: string): Promise<void> {
  await page.goto(`/#/explorer/${DATASET}/workspace/${recordId}`);
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-workspace", "video");
  await expect(page.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved/);
  await expect.poll(() => canvasMounted(page), { timeout: 15_000 }).toBe(true);
  await expect(page.getByTestId("video-timeline")).toHaveAttribute("data-count", "20");
}

/** Frame shown (the timeline's attribute, set when the canvas has swapped frames). */
function frameOf(page: Page) {
  return page.getByTestId("video-timeline");
}

async function seek(page: Page, frame: number): Promise<void> {
  await page.keyboard.press("Home");
  for (let i = 0; i < frame; i++) await page.keyboard.press("f");
  await expect(frameOf(page)).toHaveAttribute("data-frame", String(frame));
}

/** Screen point at fractions of the frame fitted in the stage. */
const at = imagePoint;

async function drawBox(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.keyboard.press("r");
  await page.mouse.move(...from);
  await page.mouse.down();
  await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 4 });
  await page.mouse.move(...to, { steps: 4 });
  await page.mouse.up();
}

/** The interpolated (synthetic) shapes on the canvas now: tracklet id and box x. */
function interpolated(page: Page): Promise<Array<{ id: string; x: number }>> {
  return page.evaluate(() => {
    const hook = (window as unknown as { __tessera?: { controller(): unknown } }).__tessera;
    const c = hook?.controller() as { scene: { synthetic(): Iterable<{ ref: { id: string }; shape: { x: number } }> } };
    return [...c.scene.synthetic()].map((i) => ({ id: i.ref.id, x: i.shape.x }));
  });
}

type Row = Record<string, unknown>;
const ofTrack = (rows: Row[], t: string) => rows.filter((r) => r.tracklet_id === t);

test("A tracks a moving object over keyframes, B sees the interpolation live, A splits the track", async ({
  alice,
  bob,
}) => {
  const record = await videoRecord(alice, 0);
  await Promise.all([openVideo(alice, record), openVideo(bob, record)]);
  const tracksBefore = (await docRows(alice, "tracklets")).map((t) => t.id);

  // Frame 2: a new box makes an entity, a tracklet [2, 2] and its first keyframe.
  await seek(alice, 2);
  await drawBox(alice, await at(alice, 0.1, 0.3), await at(alice, 0.25, 0.5));
  await expect(alice.getByTestId("creation-form")).toBeVisible();
  await alice.keyboard.press("1");
  await expect(alice.getByTestId("creation-form")).toHaveCount(0);
  const track = (await docRows(alice, "tracklets")).find((t) => !tracksBefore.includes(t.id));
  expect(track).toMatchObject({ start_timestep: 2, end_timestep: 2 });
  const trackId = String(track?.id);
  expect(ofTrack(await docRows(alice, "bboxes"), trackId)).toEqual([
    expect.objectContaining({ frame_index: 2, frame_id: `${record}_f002`, view_id: `${record}_f002` }),
  ]);

  // Frame 10, the track still selected: the box drawn there is its second keyframe.
  await seek(alice, 10);
  await drawBox(alice, await at(alice, 0.6, 0.3), await at(alice, 0.75, 0.5));
  await expect(alice.getByTestId("creation-form")).toHaveCount(0);
  await expect
    .poll(async () => ofTrack(await docRows(alice, "bboxes"), trackId).map((r) => r.frame_index))
    .toEqual(expect.arrayContaining([2, 10]));
  expect((await docRows(alice, "tracklets")).find((t) => t.id === trackId)).toMatchObject({
    start_timestep: 2,
    end_timestep: 10,
  });

  // Frame 6, half-way: the box shown is interpolated (dashed), on Alice's canvas and on Bob's.
  await seek(alice, 6);
  const mid = (await interpolated(alice)).find((s) => s.id === `~${trackId}`);
  expect(mid?.x).toBeCloseTo((0.1 + 0.6) / 2, 2);
  await seek(bob, 6);
  await expect
    .poll(async () => (await interpolated(bob)).find((s) => s.id === `~${trackId}`)?.x ?? -1, { timeout: 2000 })
    .toBeCloseTo((0.1 + 0.6) / 2, 2);
  await docsShot(alice, "video");

  // Split after frame 6: [2, 6] and [7, 10], each ending on a stored shape.
  await alice.getByTestId("track-split").click();
  await expect
    .poll(async () =>
      (await docRows(bob, "tracklets"))
        .filter((t) => t.entity_id === track?.entity_id)
        .map((t) => [t.start_timestep, t.end_timestep])
        .sort(),
    )
    .toEqual([
      [2, 6],
      [7, 10],
    ]);
  // The split (with the keyframes it stored at the cut) is one undo step of Alice's.
  await alice.keyboard.press("Control+z");
  await expect
    .poll(async () => ({
      tracks: (await docRows(bob, "tracklets"))
        .filter((t) => t.entity_id === track?.entity_id)
        .map((t) => [t.start_timestep, t.end_timestep]),
      keyframes: ofTrack(await docRows(bob, "bboxes"), trackId)
        .map((r) => Number(r.frame_index))
        .sort((a, b) => a - b),
    }))
    .toEqual({ tracks: [[2, 10]], keyframes: [2, 10] });
});

test("two people draw different tracks on different frames at once: both tracks merge", async ({ alice, bob }) => {
  const record = await videoRecord(alice, 1);
  await Promise.all([openVideo(alice, record), openVideo(bob, record)]);
  // The video keys are listed in `?` with the others.
  await alice.keyboard.press("?");
  const help = alice.getByTestId("shortcut-help");
  for (const text of ["Next frame", "Previous frame", "Play / pause", "Keyframe", "Outside"])
    await expect(help).toContainText(text);
  await alice.keyboard.press("Escape");
  await expect(help).toHaveCount(0);
  const before = (await docRows(alice, "tracklets")).length;
  await Promise.all([seek(alice, 3), seek(bob, 12)]);
  await Promise.all([
    drawBox(alice, await at(alice, 0.1, 0.1), await at(alice, 0.2, 0.25)),
    drawBox(bob, await at(bob, 0.7, 0.1), await at(bob, 0.85, 0.25)),
  ]);
  await Promise.all([alice.keyboard.press("1"), bob.keyboard.press("2")]);
  for (const page of [alice, bob])
    await expect.poll(async () => (await docRows(page, "tracklets")).length, { timeout: 3000 }).toBe(before + 2);
  const starts = (await docRows(bob, "tracklets")).map((t) => t.start_timestep);
  expect(starts).toEqual(expect.arrayContaining([3, 12]));
});

test("B and C follow A across frames; everyone sees the others' frames in presence", async ({ alice, bob, rita }) => {
  const record = await videoRecord(alice, 2);
  await openVideo(alice, record);
  await Promise.all([openVideo(bob, record), openVideo(rita, record)]);
  for (const follower of [bob, rita]) {
    await follower.getByTestId("people-here").locator('[data-name="Alice"]').click();
    await expect(follower.getByTestId("follow-banner")).toHaveText(/Following Alice/);
  }
  await seek(alice, 7);
  await expect(frameOf(bob)).toHaveAttribute("data-frame", "7");
  await expect(frameOf(rita)).toHaveAttribute("data-frame", "7");
  await alice.keyboard.press("End");
  await expect(frameOf(bob)).toHaveAttribute("data-frame", "19");
  await expect(frameOf(rita)).toHaveAttribute("data-frame", "19");
  // Alice's presence shows where the others are (their playheads on her timeline).
  await expect
    .poll(() =>
      alice.evaluate(() => {
        const hook = (window as unknown as { __tessera?: { awareness: { getStates(): Map<number, unknown> } } })
          .__tessera;
        return [...(hook?.awareness.getStates().values() ?? [])]
          .map((s) => (s as { frame?: number }).frame)
          .filter((f) => f === 19).length;
      }),
    )
    .toBe(3);
  // Esc stops following: Alice's next seek no longer moves Bob.
  await bob.keyboard.press("Escape");
  await expect(bob.getByTestId("follow-banner")).toHaveCount(0);
  await seek(alice, 4);
  await expect(frameOf(rita)).toHaveAttribute("data-frame", "4");
  await expect(frameOf(bob)).toHaveAttribute("data-frame", "19");
  // The dataset's live channel carries the frame each person settled on: Bob's explorer says where Alice is.
  const explorer = await bob.context().newPage();
  await explorer.goto(`/#/explorer/${DATASET}`);
  await expect(
    explorer.locator(
      `tr.rec:has(td.mono:text-is("${record}")) [data-testid="record-people"] [title="Alice — frame 5"]`,
    ),
  ).toHaveCount(1);
  await explorer.close();
});

test("A marks a track occluded on a frame in the state panel; B sees the state row and it carries forward", async ({
  alice,
  bob,
}) => {
  const record = await videoRecord(alice, 3);
  await Promise.all([openVideo(alice, record), openVideo(bob, record)]);
  // A new track on frame 4, so the state rows of this test are its own.
  await seek(alice, 4);
  const before = (await docRows(alice, "tracklets")).map((t) => t.id);
  await drawBox(alice, await at(alice, 0.4, 0.6), await at(alice, 0.5, 0.75));
  await alice.keyboard.press("1");
  await expect.poll(async () => (await docRows(alice, "tracklets")).length).toBe(before.length + 1);
  const trackId = String((await docRows(alice, "tracklets")).find((t) => !before.includes(t.id))?.id);
  const panel = alice.getByTestId("video-state");
  await expect(panel.getByTestId("video-state-origin")).toHaveText(/No state yet/);
  await panel.getByTestId("state-occluded").check();
  await expect(panel.getByTestId("video-state-origin")).toHaveText("Set on this frame.");
  await expect
    .poll(async () => (await docRows(bob, "entity_dynamic_states")).filter((s) => s.tracklet_id === trackId))
    .toEqual([expect.objectContaining({ frame_index: 4, frame_id: `${record}_f004`, occluded: true })]);
  // The keyframe drawn on frame 4 points to its state.
  const state = (await docRows(alice, "entity_dynamic_states")).find((s) => s.tracklet_id === trackId);
  expect(ofTrack(await docRows(bob, "bboxes"), trackId)[0]?.entity_dynamic_state_id).toBe(state?.id);
  // Later frames of the track (extended to 8) show the state carried from frame 4.
  await seek(alice, 8);
  await alice.getByTestId("track-extend").click();
  await expect(panel.getByTestId("video-state-origin")).toHaveText("Carried from frame 4.");
  await expect(panel.getByTestId("state-occluded")).toBeChecked();
  // Esc clears the selection: no track, and the track tools are off.
  await alice.keyboard.press("Escape");
  await expect(panel).toContainText("Select a track");
  await expect(alice.getByTestId("track-split")).toBeDisabled();
});
