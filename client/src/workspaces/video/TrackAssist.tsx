import { createResource, createSignal, For, onCleanup, Show, type Accessor } from "solid-js";
import type { TrackJob } from "@tessera/shared-crdt";
import { cancelTracking, startTracking, trackingModels, trackingRuns } from "../../api/track.js";
import { onJobProgress } from "../../live/liveStore.js";
import { toastError } from "../../ui/toasts.js";

/**
 * "Track forward" in the video workspace: a registered tracker propagates the selected track's box
 * from the playhead's frame to the next ones, each frame arriving live as a proposed keyframe (the
 * review actions accept, correct or reject it like any model proposal). The record's running
 * runs show as progress bars with Cancel, for everyone on the record.
 */
export interface TrackAssistOptions {
  readonly datasetId: string;
  readonly recordId: string;
  /** The one selected track, or null. */
  readonly track: Accessor<string | null>;
  readonly frame: Accessor<number>;
  readonly editable: Accessor<boolean>;
}

/** Frames a run proposes at most from one click. */
const MAX_FRAMES = 50;

export function createTrackAssist(o: TrackAssistOptions) {
  const [models] = createResource(async () => {
    try {
      return await trackingModels();
    } catch (err) {
      toastError(err, "Cannot list the tracking models");
      return [];
    }
  });
  const [runs, setRuns] = createSignal<readonly TrackJob[]>([]);
  const upsert = (j: TrackJob) => {
    if (j.dataset !== o.datasetId || j.record_id !== o.recordId) return;
    setRuns((list) => [j, ...list.filter((x) => x.job_id !== j.job_id)]);
  };
  void trackingRuns(o.datasetId, o.recordId).then(
    (list) => list.filter((j) => !j.progress.final).forEach(upsert),
    (err: unknown) => toastError(err, "Cannot list the tracking runs"),
  );
  onCleanup(
    onJobProgress((j) => {
      if (j.kind === "track") upsert(j);
    }),
  );
  const model = () => models()?.[0]?.name ?? null;
  const running = (trackletId: string) => runs().some((j) => j.tracklet_id === trackletId && !j.progress.final);
  const canStart = () => {
    const t = o.track();
    return o.editable() && t !== null && model() !== null && !running(t);
  };
  const start = (): boolean => {
    const t = o.track();
    const m = model();
    if (!o.editable() || t === null || m === null || running(t)) return false;
    startTracking(o.datasetId, o.recordId, {
      model: m,
      tracklet_id: t,
      start_frame: o.frame(),
      max_frames: MAX_FRAMES,
    }).then(upsert, (err: unknown) => toastError(err, "Cannot track forward"));
    return true;
  };
  const cancel = (j: TrackJob) =>
    cancelTracking(o.datasetId, j.job_id).then(upsert, (err: unknown) => toastError(err, "Cannot cancel the run"));
  const visible = () =>
    runs()
      .filter((j) => !j.progress.final || Date.now() / 1000 - j.updated_at < 20)
      .slice(0, 3);
  const title = () =>
    model() === null
      ? "No tracking model is registered (tessera models add)"
      : `Track forward from this frame with ${model() ?? ""}: proposed keyframes to review (T)`;
  const Bar = () => (
    <div class="track-assist" data-testid="track-assist">
      <button
        class="btn ghost"
        data-testid="track-forward"
        title={title()}
        disabled={!canStart()}
        onClick={() => void start()}
      >
        Track forward
      </button>
      <For each={visible()}>
        {(j) => {
          const pct = () => Math.round((100 * j.progress.done) / Math.max(1, j.progress.total));
          return (
            <div class="track-run" data-testid="track-run" data-status={j.status}>
              <span>
                {j.model}: {j.progress.done}/{j.progress.total}
                {j.progress.final ? ` ${j.status}${j.progress.message ? ` (${j.progress.message})` : ""}` : ""}
              </span>
              <progress max={100} value={pct()} aria-label={`Tracking ${pct()}%`} />
              <Show when={!j.progress.final && o.editable()}>
                <button class="btn ghost" data-testid="track-cancel" onClick={() => void cancel(j)}>
                  Cancel
                </button>
              </Show>
            </div>
          );
        }}
      </For>
    </div>
  );
  return { start, Bar };
}
