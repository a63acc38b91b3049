import { createResource, createSignal, For, Match, onCleanup, Show, Switch } from "solid-js";
import {
  analyzeSource,
  cancelIoJob,
  getIoJob,
  listIoFormats,
  startImport,
  uploadFiles,
  type ImportPlan,
  type ImportSpec,
  type IoJob,
} from "../../api/io.js";
import { navigate } from "../../app/router.js";
import { explorerRoute } from "../../app/routes.js";
import type { Identity } from "../../session.js";
import { toastError } from "../../ui/toasts.js";
import { ImportReport } from "./ImportReport.js";
import { JobProgress } from "./JobProgress.js";

type SourceKind = "archive" | "folder" | "path";
const POLL_MS = 400;

/**
 * The import wizard (`#/import`, admins): pick a zip, a folder or a folder on the server (inside
 * its import root), check the detected format, read the dry-run report, then import with a live
 * progress bar and cancel. Everything goes through `/io/*`, as Pixano 0.8's own import dialog does.
 */
export function ImportPage(props: { identity: Identity }) {
  return (
    <div class="content io-page" data-testid="import-page">
      <h1>Import a dataset</h1>
      <Show
        when={props.identity.role === "admin"}
        fallback={
          <p class="error-text" role="alert">
            Only admins import datasets.
          </p>
        }
      >
        <Wizard />
      </Show>
    </div>
  );
}

function Wizard() {
  const [formats] = createResource(async () => {
    try {
      return (await listIoFormats()).filter((f) => f.can_import);
    } catch (err) {
      toastError(err, "Cannot list the import formats");
      return [];
    }
  });
  const [kind, setKind] = createSignal<SourceKind>("archive");
  const [files, setFiles] = createSignal<File[]>([]);
  const [serverPath, setServerPath] = createSignal("");
  const [format, setFormat] = createSignal("auto");
  const [name, setName] = createSignal("");
  const [mode, setMode] = createSignal<"create" | "add">("create");
  const [busy, setBusy] = createSignal<string | null>(null);
  const [uploadPct, setUploadPct] = createSignal<number | null>(null);
  const [source, setSource] = createSignal<string | null>(null);
  const [plan, setPlan] = createSignal<ImportPlan | null>(null);
  const [job, setJob] = createSignal<IoJob | null>(null);
  const [error, setError] = createSignal<string | null>(null);

  const spec = (): ImportSpec => ({
    format: format(),
    mode: mode(),
    ...(name().trim() ? { dataset: { name: name().trim() } } : {}),
  });
  const reset = () => {
    setPlan(null);
    setJob(null);
    setError(null);
  };

  const analyze = async () => {
    reset();
    try {
      let src = source();
      if (kind() === "path") src = serverPath().trim();
      else if (!src) {
        if (files().length === 0)
          throw new Error(kind() === "archive" ? "Choose a zip file first." : "Choose a folder first.");
        setBusy("Uploading…");
        setUploadPct(0);
        const up = await uploadFiles(kind() as "archive" | "folder", files(), (sent, total) =>
          setUploadPct(total > 0 ? Math.round((100 * sent) / total) : 0),
        );
        src = up.source;
        setSource(src);
      }
      if (!src) throw new Error("Give a folder inside the server's import root.");
      setBusy("Analyzing (dry run: nothing is written)…");
      const p = await analyzeSource(src, spec());
      setPlan(p);
      if (!name().trim() && p.target) setName(p.target.name);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
      setUploadPct(null);
    }
  };

  let timer: ReturnType<typeof setInterval> | undefined;
  const stopPolling = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  onCleanup(stopPolling);
  const poll = (id: string) => {
    stopPolling();
    timer = setInterval(() => {
      getIoJob(id).then(
        (j) => {
          setJob(j);
          if (j.status !== "pending" && j.status !== "running") stopPolling();
        },
        (err: unknown) => {
          stopPolling();
          toastError(err, "Lost track of the import");
        },
      );
    }, POLL_MS);
  };

  const runImport = async () => {
    const p = plan();
    const src = source() ?? serverPath().trim();
    if (!p) return;
    try {
      const j = await startImport(p.plan_id, src, spec());
      setJob(j);
      poll(j.job_id);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const cancel = async () => {
    const j = job();
    if (!j) return;
    try {
      setJob(await cancelIoJob(j.job_id));
      stopPolling();
    } catch (err) {
      toastError(err, "Cannot cancel the import");
    }
  };

  const hasErrors = () => Object.values(plan()?.report.findings ?? {}).some((f) => f.severity === "error");
  const locked = () =>
    busy() !== null || (job() !== null && job()?.status !== "error" && job()?.status !== "cancelled");

  return (
    <div class="io-wizard">
      <section class="account-section" data-testid="import-source">
        <h2>1. Source</h2>
        <div class="row io-kinds" role="radiogroup" aria-label="Source">
          <For
            each={
              [
                ["archive", "Zip file"],
                ["folder", "Folder"],
                ["path", "Folder on the server"],
              ] as const
            }
          >
            {([k, label]) => (
              <label class="io-kind">
                <input
                  type="radio"
                  name="io-kind"
                  checked={kind() === k}
                  disabled={locked()}
                  data-testid={`import-kind-${k}`}
                  onChange={() => {
                    setKind(k);
                    setSource(null);
                    setFiles([]);
                    reset();
                  }}
                />{" "}
                {label}
              </label>
            )}
          </For>
        </div>
        <Switch>
          <Match when={kind() === "archive"}>
            <input
              class="input"
              type="file"
              accept=".zip,application/zip"
              aria-label="Zip file"
              data-testid="import-zip"
              disabled={locked()}
              onChange={(e) => {
                setFiles([...(e.currentTarget.files ?? [])]);
                setSource(null);
                reset();
              }}
            />
          </Match>
          <Match when={kind() === "folder"}>
            <input
              class="input"
              type="file"
              multiple
              aria-label="Folder"
              data-testid="import-folder"
              disabled={locked()}
              ref={(el) => (el.webkitdirectory = true)}
              onChange={(e) => {
                setFiles([...(e.currentTarget.files ?? [])]);
                setSource(null);
                reset();
              }}
            />
          </Match>
          <Match when={kind() === "path"}>
            <input
              class="input mono"
              type="text"
              placeholder="folder inside the import root, e.g. coco_2017"
              aria-label="Folder on the server"
              data-testid="import-path"
              disabled={locked()}
              value={serverPath()}
              onInput={(e) => {
                setServerPath(e.currentTarget.value);
                reset();
              }}
            />
          </Match>
        </Switch>
        <div class="account-form inline">
          <label class="field">
            <span>Format</span>
            <select
              class="input"
              data-testid="import-format"
              value={format()}
              disabled={locked()}
              onChange={(e) => {
                setFormat(e.currentTarget.value);
                setPlan(null);
              }}
            >
              <option value="auto">Detect automatically</option>
              <For each={formats() ?? []}>{(f) => <option value={f.name}>{f.title}</option>}</For>
            </select>
          </label>
          <label class="field">
            <span>Dataset name</span>
            <input
              class="input"
              data-testid="import-name"
              placeholder="from the source"
              value={name()}
              disabled={locked()}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>Into</span>
            <select
              class="input"
              data-testid="import-mode"
              value={mode()}
              disabled={locked()}
              onChange={(e) => setMode(e.currentTarget.value === "add" ? "add" : "create")}
            >
              <option value="create">a new dataset</option>
              <option value="add">an existing dataset (add records)</option>
            </select>
          </label>
        </div>
        <div class="actions">
          <button class="btn primary" data-testid="import-analyze" disabled={locked()} onClick={() => void analyze()}>
            {kind() === "path" || source() ? "Analyze" : "Upload and analyze"}
          </button>
          <Show when={busy()}>
            {(b) => (
              <span class="muted" data-testid="import-busy">
                {b()} {uploadPct() !== null ? `${uploadPct()} %` : ""}
              </span>
            )}
          </Show>
        </div>
        <Show when={error()}>
          {(e) => (
            <p class="error-text" role="alert" data-testid="import-error">
              {e()}
            </p>
          )}
        </Show>
      </section>

      <Show when={plan()}>
        {(p) => (
          <section class="account-section" data-testid="import-report">
            <h2>2. Dry-run report</h2>
            <ImportReport plan={p()} />
            <div class="actions">
              <button
                class="btn primary"
                data-testid="import-start"
                disabled={hasErrors() || locked()}
                onClick={() => void runImport()}
              >
                Import {p().totals.records?.toLocaleString() ?? ""} records
              </button>
              <Show when={hasErrors()}>
                <span class="error-text">Fix the errors above, then analyze again.</span>
              </Show>
            </div>
          </section>
        )}
      </Show>

      <Show when={job()}>
        {(j) => (
          <section class="account-section" data-testid="import-progress">
            <h2>3. Import</h2>
            <JobProgress job={j()} onCancel={() => void cancel()} />
            <Show when={j().status === "done"}>
              <div class="actions">
                <button
                  class="btn primary"
                  data-testid="import-open"
                  onClick={() => navigate(explorerRoute(j().dataset))}
                >
                  Open the dataset
                </button>
                <button class="btn" data-testid="import-library" onClick={() => navigate({ page: "library" })}>
                  Back to the library
                </button>
              </div>
            </Show>
          </section>
        )}
      </Show>
    </div>
  );
}
