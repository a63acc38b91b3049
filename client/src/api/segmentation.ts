import type { SegmentBackend } from "../canvas/segmentSession.js";
import { requestJson } from "./http.js";

/**
 * Click-to-segment's server side for one dataset: the first segmentation model of the registry
 * (`GET /inference/models/list?task=image_mask_generation`), and the draft route that writes the
 * mask into the record document (`POST /inference/datasets/{id}/segmentation/draft`). On a video
 * frame the draft names the frame (its row, or a video file and the frame index) and the track it
 * joins, if one is selected.
 */
export function segmentationBackend(datasetId: string): SegmentBackend {
  let model: Promise<string | null> | null = null;
  const pick = (): Promise<string | null> =>
    (model ??= requestJson<Array<{ name: string }>>("/inference/models/list?task=image_mask_generation").then(
      (list) => list[0]?.name ?? null,
    ));
  return {
    async draft(prompt, draftId) {
      const name = await pick();
      if (name === null) {
        model = null;
        throw new Error("no segmentation model on this server (tessera models add)");
      }
      const on = prompt.onFrame ?? null;
      // A video file's frame has no row (`frameId` ""): the videos row and the index name it.
      const frame = on
        ? {
            view_id: on.frame.id,
            frame_index: on.frame.index,
            tracklet_id: on.trackletId,
            ...(on.frame.frameId === undefined ? { track_view_id: on.trackViewId } : {}),
          }
        : { view_id: prompt.viewId };
      const r = await requestJson<{ mask_id: string; tracklet_id?: string }>(
        `/inference/datasets/${encodeURIComponent(datasetId)}/segmentation/draft`,
        {
          method: "POST",
          body: {
            model: name,
            ...frame,
            points: prompt.points,
            labels: prompt.labels,
            box: prompt.box,
            draft_id: draftId,
          },
        },
      );
      const made = draftId === null && on !== null && on.trackletId === null ? r.tracklet_id : undefined;
      return made ? { maskId: r.mask_id, newTrack: made } : { maskId: r.mask_id };
    },
  };
}
