import { createResource, createSignal, For, Show } from "solid-js";
import type { AssignRequest } from "@tessera/shared-crdt/api";
import { assignablePeople, assignRecords, unassignRecords } from "../api/assign.js";
import { restParams, type ExplorerQuery } from "../api/explorerQuery.js";
import { Dialog } from "../ui/Dialog.js";
import { toast, toastError } from "../ui/toasts.js";
import { previewShares } from "./assignLogic.js";

/**
 * The lead's "Assign…" dialog (SPEC AS2, AS3): the records — those ticked on this page, or every record matching the
 * explorer's current filter, resolved by the server — and the people (annotators and/or reviewers of the dataset),
 * split evenly or round-robin. "Unassign" clears the ticked records.
 */
export function AssignDialog(props: {
  datasetId: string;
  query: ExplorerQuery;
  pageIds: readonly string[];
  total: number;
  onClose: () => void;
}) {
  const [people] = createResource(
    () => props.datasetId,
    async (id) => {
      try {
        return await assignablePeople(id);
      } catch (err) {
        toastError(err, "Cannot list the dataset's people");
        return [];
      }
    },
  );
  const [scope, setScope] = createSignal<"selection" | "filter">("selection");
  const [picked, setPicked] = createSignal<ReadonlySet<string>>(new Set(props.pageIds));
  const [annotators, setAnnotators] = createSignal<readonly string[]>([]);
  const [reviewers, setReviewers] = createSignal<readonly string[]>([]);
  const [mode, setMode] = createSignal<"split_evenly" | "round_robin">("split_evenly");
  const [busy, setBusy] = createSignal(false);
  const toggle = (list: readonly string[], id: string, on: boolean) =>
    on ? [...list.filter((x) => x !== id), id] : list.filter((x) => x !== id);
  const count = () => (scope() === "selection" ? picked().size : props.total);
  const selection = (): Pick<AssignRequest, "record_ids" | "filter"> => {
    if (scope() === "selection") return { record_ids: props.pageIds.filter((id) => picked().has(id)) };
    const p = restParams(props.query);
    return {
      filter: {
        ...(Array.isArray(p.filter) ? { filter: p.filter } : {}),
        ...(typeof p.q === "string" ? { q: p.q } : {}),
      },
    };
  };
  const share = (list: readonly string[], id: string) => {
    const i = list.indexOf(id);
    return i < 0 ? null : (previewShares(count(), list.length)[i] ?? 0);
  };
  const submit = async () => {
    setBusy(true);
    try {
      const r = await assignRecords(props.datasetId, {
        ...selection(),
        ...(annotators().length > 0 ? { annotators: [...annotators()] } : {}),
        ...(reviewers().length > 0 ? { reviewers: [...reviewers()] } : {}),
        mode: mode(),
      });
      toast(`Assigned: ${r.per_person.map((p) => `${p.person.name} ${p.count}`).join(", ")}`, "status");
      props.onClose();
    } catch (err) {
      toastError(err, "Cannot assign");
    } finally {
      setBusy(false);
    }
  };
  const unassign = async () => {
    setBusy(true);
    try {
      const ids = props.pageIds.filter((id) => picked().has(id));
      const r = await unassignRecords(props.datasetId, { record_ids: ids });
      toast(`Unassigned ${r.changed} assignment${r.changed === 1 ? "" : "s"}`, "status");
      props.onClose();
    } catch (err) {
      toastError(err, "Cannot unassign");
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Assign records" onClose={props.onClose} wide testId="assign-dialog">
      <div class="assign-dialog">
        <div class="row" role="radiogroup" aria-label="Records">
          <label>
            <input
              type="radio"
              name="assign-scope"
              checked={scope() === "selection"}
              onChange={() => setScope("selection")}
              data-testid="assign-scope-selection"
            />{" "}
            Selected records ({picked().size})
          </label>
          <label>
            <input
              type="radio"
              name="assign-scope"
              checked={scope() === "filter"}
              onChange={() => setScope("filter")}
              data-testid="assign-scope-filter"
            />{" "}
            All {props.total} records matching the current filter
          </label>
        </div>
        <Show when={scope() === "selection"}>
          <div class="records" data-testid="assign-records">
            <For each={props.pageIds}>
              {(id) => (
                <label class="mono">
                  <input
                    type="checkbox"
                    checked={picked().has(id)}
                    data-record={id}
                    onChange={(e) => {
                      const next = new Set(picked());
                      if (e.currentTarget.checked) next.add(id);
                      else next.delete(id);
                      setPicked(next);
                    }}
                  />{" "}
                  {id}
                </label>
              )}
            </For>
          </div>
        </Show>
        <b>People</b>
        <div class="people" data-testid="assign-people">
          <span class="muted">Name</span>
          <span class="muted">Annotates</span>
          <span class="muted">Reviews</span>
          <For each={people() ?? []}>
            {(p) => (
              <>
                <span>
                  {p.name} <span class="muted">({p.role})</span>
                </span>
                <label>
                  <input
                    type="checkbox"
                    aria-label={`${p.name} annotates`}
                    data-testid="assign-annotator"
                    data-person={p.id}
                    checked={annotators().includes(p.id)}
                    onChange={(e) => setAnnotators(toggle(annotators(), p.id, e.currentTarget.checked))}
                  />{" "}
                  {share(annotators(), p.id) ?? ""}
                </label>
                <label>
                  <input
                    type="checkbox"
                    aria-label={`${p.name} reviews`}
                    data-testid="assign-reviewer"
                    data-person={p.id}
                    disabled={p.role !== "reviewer" && p.role !== "admin"}
                    checked={reviewers().includes(p.id)}
                    onChange={(e) => setReviewers(toggle(reviewers(), p.id, e.currentTarget.checked))}
                  />{" "}
                  {share(reviewers(), p.id) ?? ""}
                </label>
              </>
            )}
          </For>
        </div>
        <div class="row">
          <label>
            Split{" "}
            <select
              class="input"
              value={mode()}
              onChange={(e) => setMode(e.currentTarget.value === "round_robin" ? "round_robin" : "split_evenly")}
              data-testid="assign-mode"
            >
              <option value="split_evenly">evenly, in blocks</option>
              <option value="round_robin">round-robin</option>
            </select>
          </label>
          <span class="spacer" />
          <Show when={scope() === "selection"}>
            <button class="btn" disabled={busy() || picked().size === 0} onClick={() => void unassign()}>
              Unassign
            </button>
          </Show>
          <button class="btn" onClick={() => props.onClose()}>
            Cancel
          </button>
          <button
            class="btn primary"
            data-testid="assign-submit"
            disabled={busy() || count() === 0 || (annotators().length === 0 && reviewers().length === 0)}
            onClick={() => void submit()}
          >
            Assign {count()}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
