import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import type { PreannotateJob } from "@tessera/shared-crdt";
import { restParams, type ExplorerQuery } from "../api/explorerQuery.js";
import {
  cancelPreannotation,
  detectionModels,
  preannotationJobs,
  startPreannotation,
  type PreannotateScope,
} from "../api/preannotate.js";
import { onJobProgress } from "../live/liveStore.js";
import { identity, roleOn } from "../session.js";
import { Dialog } from "../ui/Dialog.js";
import { toast, toastError } from "../ui/toasts.js";
import "./preannotate.css";

/**
 * The explorer's "Pre-annotate…" (SPEC INF-PREANN): a detector of the registry over the records of this page, the
 * explorer's current filter or the whole dataset, with a confidence threshold; the running jobs of the dataset show
 * as progress bars with Cancel, live for everyone on the dataset. The boxes arrive in the workspace as proposals.
 */
export function PreannotateButton(props: { datasetId: string; query: ExplorerQuery; pageIds: readonly string[] }) {
  const me = identity();
  const mayRun = () => me !== null && roleOn(me, props.datasetId) !== "viewer";
  const [open, setOpen] = createSignal(false);
  const [jobs, setJobs] = createSignal<readonly PreannotateJob[]>([]);
  const upsert = (j: PreannotateJob) => {
    if (j.dataset !== props.datasetId) return;
    setJobs((list) => [j, ...list.filter((x) => x.job_id !== j.job_id)]);
  };
  void preannotationJobs(props.datasetId).then(
    (list) => list.filter((j) => !j.progress.final).forEach(upsert),
    (err: unknown) => toastError(err, "Cannot list the pre-annotation jobs"),
  );
  onCleanup(
    onJobProgress((j) => {
      if (j.kind === "preannotate") upsert(j);
    }),
  );
  const visible = () =>
    jobs()
      .filter((j) => !j.progress.final || Date.now() / 1000 - j.updated_at < 30)
      .slice(0, 3);
  const cancel = async (j: PreannotateJob) => {
    try {
      upsert(await cancelPreannotation(props.datasetId, j.job_id));
    } catch (err) {
      toastError(err, "Cannot cancel the job");
    }
  };
  return (
    <div class="preann" data-testid="preannotate">
      <Show when={mayRun()}>
        <button class="btn" data-testid="preannotate-button" onClick={() => setOpen(true)}>
          Pre-annotate…
        </button>
      </Show>
      <For each={visible()}>
        {(j) => {
          const pct = () => (j.progress.total ? Math.round((100 * j.progress.done) / j.progress.total) : 0);
          return (
            <div class="preann-job" data-testid="preannotate-job" data-status={j.status}>
              <span class="preann-label">
                {j.model}: {j.progress.done}/{j.progress.total ?? "…"}
                {j.progress.final ? ` ${j.status}` : ""}
              </span>
              <progress max={100} value={pct()} aria-label={`Pre-annotation ${pct()}%`} />
              <Show when={!j.progress.final && mayRun()}>
                <button class="btn ghost" data-testid="preannotate-cancel" onClick={() => void cancel(j)}>
                  Cancel
                </button>
              </Show>
            </div>
          );
        }}
      </For>
      <Show when={open()}>
        <PreannotateDialog
          datasetId={props.datasetId}
          query={props.query}
          pageIds={props.pageIds}
          onStarted={upsert}
          onClose={() => setOpen(false)}
        />
      </Show>
    </div>
  );
}

function PreannotateDialog(props: {
  datasetId: string;
  query: ExplorerQuery;
  pageIds: readonly string[];
  onStarted: (j: PreannotateJob) => void;
  onClose: () => void;
}) {
  const [models] = createResource(async () => {
    try {
      return await detectionModels();
    } catch (err) {
      toastError(err, "Cannot list the models");
      return [];
    }
  });
  const [model, setModel] = createSignal("");
  const [scope, setScope] = createSignal<"page" | "filter" | "all">("page");
  const [threshold, setThreshold] = createSignal(0.25);
  const [busy, setBusy] = createSignal(false);
  const chosen = () => model() || models()?.[0]?.name || "";
  const scopeBody = (): PreannotateScope => {
    if (scope() === "page") return { record_ids: [...props.pageIds] };
    if (scope() === "all") return {};
    const p = restParams(props.query);
    return {
      ...(Array.isArray(p.filter) ? { filter: p.filter } : {}),
      ...(typeof p.q === "string" ? { q: p.q } : {}),
    };
  };
  const submit = async () => {
    setBusy(true);
    try {
      const job = await startPreannotation(props.datasetId, {
        model: chosen(),
        threshold: threshold(),
        ...scopeBody(),
      });
      props.onStarted(job);
      toast(`Pre-annotation started with ${job.model}`);
      props.onClose();
    } catch (err) {
      toastError(err, "Cannot start the pre-annotation");
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Pre-annotate" onClose={props.onClose} testId="preannotate-dialog">
      <Show
        when={(models() ?? []).length > 0}
        fallback={
          <p>{models.loading ? "Loading models…" : "No detection model on this server (tessera models add)."}</p>
        }
      >
        <label class="preann-row">
          Model
          <select
            class="input"
            data-testid="preannotate-model"
            value={chosen()}
            onChange={(e) => setModel(e.currentTarget.value)}
          >
            <For each={models()}>{(m) => <option value={m.name}>{m.name}</option>}</For>
          </select>
        </label>
        <fieldset class="preann-row">
          <legend>Records</legend>
          <label>
            <input type="radio" checked={scope() === "page"} onChange={() => setScope("page")} /> this page (
            {props.pageIds.length})
          </label>
          <label>
            <input
              type="radio"
              data-testid="preannotate-scope-filter"
              checked={scope() === "filter"}
              onChange={() => setScope("filter")}
            />{" "}
            the current filter
          </label>
          <label>
            <input
              type="radio"
              data-testid="preannotate-scope-all"
              checked={scope() === "all"}
              onChange={() => setScope("all")}
            />{" "}
            the whole dataset
          </label>
        </fieldset>
        <label class="preann-row">
          Confidence threshold
          <input
            class="input"
            type="number"
            min={0}
            max={1}
            step={0.05}
            data-testid="preannotate-threshold"
            value={threshold()}
            onInput={(e) => {
              const v = Number(e.currentTarget.value);
              if (Number.isFinite(v) && v >= 0 && v <= 1) setThreshold(v);
            }}
          />
        </label>
        <div class="preann-actions">
          <button class="btn ghost" onClick={() => props.onClose()}>
            Close
          </button>
          <button
            class="btn primary"
            data-testid="preannotate-start"
            disabled={busy() || chosen() === ""}
            onClick={() => void submit()}
          >
            Start
          </button>
        </div>
      </Show>
    </Dialog>
  );
}
