import { createMemo, createSignal, For, Show } from "solid-js";
import { setAssignLock } from "../api/assign.js";
import type { ExplorerQuery } from "../api/explorerQuery.js";
import { navigate } from "../app/router.js";
import { explorerRoute } from "../app/routes.js";
import { identity, roleOn } from "../session.js";
import { toastError } from "../ui/toasts.js";
import { AssignDialog } from "./AssignDialog.js";
import { assignedLabel } from "./assignLogic.js";
import { assignStateFor } from "./assignStore.js";
import { NextForMeButton } from "./NextForMeButton.js";
import { ProgressPanel } from "./ProgressPanel.js";
import "./assign.css";

/**
 * The explorer's assignment tools (SPEC AS): "Next for me", the "Mine" quick filter and the "Assigned to" filter,
 * per-person progress, and for the lead (the dataset's admin) "Assign…" and the assignment lock. Live.
 */
export function AssignToolbar(props: {
  datasetId: string;
  query: ExplorerQuery;
  pageIds: readonly string[];
  total: number;
}) {
  const state = assignStateFor(props.datasetId);
  const me = identity();
  const lead = () => me !== null && roleOn(me, props.datasetId) === "admin";
  const [dialog, setDialog] = createSignal(false);
  const [progress, setProgress] = createSignal(false);
  const people = createMemo(() => {
    const seen = new Map<string, string>();
    for (const a of state.byRecord().values()) {
      if (a.annotator) seen.set(a.annotator.id, a.annotator.name);
      if (a.reviewer) seen.set(a.reviewer.id, a.reviewer.name);
    }
    return [...seen].sort((a, b) => a[1].localeCompare(b[1]));
  });
  const filterBy = (who: string) => {
    const { assignedTo: _a, ...rest } = props.query;
    navigate(explorerRoute(props.datasetId, { ...rest, offset: 0, ...(who ? { assignedTo: who } : {}) }), {
      replace: true,
    });
  };
  const mine = () => me !== null && props.query.assignedTo === me.userId;
  const toggleLock = async () => {
    try {
      await setAssignLock(props.datasetId, !(state.lock()?.locked ?? false));
      await state.refresh();
    } catch (err) {
      toastError(err, "Cannot change the assignment lock");
    }
  };
  return (
    <div class="assign-bar" data-testid="assign-bar">
      <NextForMeButton datasetId={props.datasetId} recordId={null} />
      <button
        class={`btn${mine() ? " primary" : ""}`}
        aria-pressed={mine()}
        data-testid="assign-mine"
        title="Only the records assigned to me"
        onClick={() => filterBy(mine() || !me ? "" : me.userId)}
      >
        Mine
      </button>
      <select
        class="input"
        aria-label="Assigned to"
        data-testid="assign-filter"
        value={props.query.assignedTo ?? ""}
        onChange={(e) => filterBy(e.currentTarget.value)}
      >
        <option value="">Assigned to: anyone</option>
        <For each={people()}>{([id, name]) => <option value={id}>Assigned to: {name}</option>}</For>
      </select>
      <div class="assign-pop">
        <button
          class="btn"
          aria-expanded={progress()}
          data-testid="assign-progress-button"
          onClick={() => setProgress(!progress())}
        >
          Progress
        </button>
        <Show when={progress()}>
          <div class="panel">
            <ProgressPanel datasetId={props.datasetId} />
          </div>
        </Show>
      </div>
      <Show when={lead()}>
        <button class="btn" data-testid="assign-open" onClick={() => setDialog(true)}>
          Assign…
        </button>
        <label class="btn" title="Locked: only a record's annotator (and reviewers, admins) can edit it">
          <input
            type="checkbox"
            data-testid="assign-lock"
            checked={state.lock()?.locked ?? false}
            onChange={() => void toggleLock()}
          />{" "}
          Lock assignment
        </label>
      </Show>
      <Show when={!lead() && state.lock()?.locked}>
        <span class="badge" data-testid="assign-locked" title="Only a record's annotator can edit it">
          Assignment locked
        </span>
      </Show>
      <Show when={dialog()}>
        <AssignDialog
          datasetId={props.datasetId}
          query={props.query}
          pageIds={props.pageIds}
          total={props.total}
          onClose={() => setDialog(false)}
        />
      </Show>
    </div>
  );
}

/** The explorer's "Assigned to" cell of a record. */
export function AssignedCell(props: { datasetId: string; recordId: string }) {
  const state = assignStateFor(props.datasetId);
  const a = () => state.byRecord().get(props.recordId) ?? null;
  return (
    <td data-testid="assigned-to" title={assignedLabel(a())}>
      {a()?.annotator?.name ?? ""}
      <Show when={a()?.reviewer}>{(r) => <span class="muted"> · review: {r().name}</span>}</Show>
    </td>
  );
}
