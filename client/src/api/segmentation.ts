import type { SegmentBackend } from "../canvas/segmentSession.js";
import { requestJson } from "./http.js";

/**
 * Click-to-segment's server side for one dataset: the first segmentation model of the registry
 * (`GET /inference/models/list?task=image_mask_generation`), and the draft route that writes the
 * mask into the record document (`POST /inference/datasets/{id}/segmentation/draft`).
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
      const r = await requestJson<{ mask_id: string }>(
        `/inference/datasets/${encodeURIComponent(datasetId)}/segmentation/draft`,
        {
          method: "POST",
          body: {
            model: name,
            view_id: prompt.viewId,
            points: prompt.points,
            labels: prompt.labels,
            box: prompt.box,
            draft_id: draftId,
          },
        },
      );
      return { maskId: r.mask_id };
    },
  };
}
