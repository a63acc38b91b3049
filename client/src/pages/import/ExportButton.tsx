import { createSignal, onCleanup, Show } from "solid-js";
import { exportDownloadUrl, getIoJob, startExport, type ExportFormat, type IoJob } from "../../api/io.js";
import { identity } from "../../session.js";
import { Dialog } from "../../ui/Dialog.js";
import { toastError } from "../../ui/toasts.js";
import { JobProgress } from "./JobProgress.js";

const POLL_MS = 400;

/**
 * "Export" on a dataset (admins): Pixano JSONL or COCO instances, with the media files or their
 * URIs, built by an export job on the server, then downloaded as a zip.
 */
export function ExportButton(props: { datasetId: string }) {
  const [open, setOpen] = createSignal(false);
  const [media, setMedia] = createSignal<"files" | "uris">("files");
  const [format, setFormat] = createSignal<ExportFormat>("pixano_jsonl");
  const [job, setJob] = createSignal<IoJob | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  onCleanup(stop);
  const run = async () => {
    setError(null);
    try {
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const j = await startExport(props.datasetId, `${props.datasetId}-${stamp}`, media(), format());
      setJob(j);
      timer = setInterval(() => {
        getIoJob(j.job_id).then(
          (x) => {
            setJob(x);
            if (x.status !== "pending" && x.status !== "running") stop();
          },
          (err: unknown) => {
            stop();
            toastError(err, "Lost track of the export");
          },
        );
      }, POLL_MS);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const close = () => {
    stop();
    setOpen(false);
    setJob(null);
  };
  return (
    <Show when={identity()?.role === "admin"}>
      <button class="btn" data-testid="export-open" onClick={() => setOpen(true)}>
        Export
      </button>
      <Show when={open()}>
        <Dialog title={`Export ${props.datasetId}`} onClose={close} testId="export-dialog">
          <div class="account-form">
            <label class="field">
              <span>Format</span>
              <select
                class="input"
                data-testid="export-format"
                value={format()}
                disabled={job() !== null}
                onChange={(e) => setFormat(e.currentTarget.value === "coco" ? "coco" : "pixano_jsonl")}
              >
                <option value="pixano_jsonl">Pixano JSONL v2</option>
                <option value="coco">COCO instances (boxes, masks, keypoints)</option>
              </select>
            </label>
            <label class="field">
              <span>Media</span>
              <select
                class="input"
                data-testid="export-media"
                value={media()}
                disabled={job() !== null}
                onChange={(e) => setMedia(e.currentTarget.value === "uris" ? "uris" : "files")}
              >
                <option value="files">Media files in the zip</option>
                <option value="uris">Media URIs only</option>
              </select>
            </label>
          </div>
          <Show when={job()}>{(j) => <JobProgress job={j()} />}</Show>
          <Show when={error()}>
            {(e) => (
              <p class="error-text" role="alert" data-testid="export-error">
                {e()}
              </p>
            )}
          </Show>
          <div class="actions">
            <Show
              when={job()?.status === "done" ? job() : null}
              fallback={
                <button
                  class="btn primary"
                  data-testid="export-start"
                  disabled={job() !== null && job()?.status !== "error"}
                  onClick={() => void run()}
                >
                  Export
                </button>
              }
            >
              {(j) => (
                <a class="btn primary" href={exportDownloadUrl(j().job_id)} download="" data-testid="export-download">
                  Download the zip
                </a>
              )}
            </Show>
            <button class="btn" onClick={close}>
              Close
            </button>
          </div>
        </Dialog>
      </Show>
    </Show>
  );
}
