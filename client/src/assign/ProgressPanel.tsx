import { createResource, For, Show } from "solid-js";
import { assignProgress } from "../api/assign.js";
import { toastError } from "../ui/toasts.js";
import { donePercent } from "./assignLogic.js";
import { assignStateFor } from "./assignStore.js";

/** Per-person progress (SPEC AS8): assigned, done, in review, rejected and the share done; live. */
export function ProgressPanel(props: { datasetId: string }) {
  const state = assignStateFor(props.datasetId);
  const [progress] = createResource(
    () => ({ id: props.datasetId, v: state.version() }),
    async ({ id }) => {
      try {
        return await assignProgress(id);
      } catch (err) {
        toastError(err, "Cannot read the progress");
        return null;
      }
    },
  );
  return (
    <div data-testid="assign-progress">
      <Show
        when={(progress() ?? progress.latest)?.people.length}
        fallback={<div class="muted">Nobody has assignments yet.</div>}
      >
        <table class="assign-progress">
          <thead>
            <tr>
              <th>Person</th>
              <th>Side</th>
              <th>Assigned</th>
              <th>Done</th>
              <th>In review</th>
              <th>Rejected</th>
              <th>%</th>
            </tr>
          </thead>
          <tbody>
            <For each={(progress() ?? progress.latest)?.people ?? []}>
              {(p) => (
                <tr data-testid="assign-progress-row" data-person={p.person.id} data-role={p.role}>
                  <td>{p.person.name}</td>
                  <td class="muted">{p.role}</td>
                  <td data-cell="assigned">{p.assigned}</td>
                  <td data-cell="done">{p.done}</td>
                  <td data-cell="in_review">{p.in_review}</td>
                  <td data-cell="rejected">{p.rejected}</td>
                  <td data-cell="percent">{donePercent(p)}%</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <div class="muted">{(progress() ?? progress.latest)?.unassigned ?? 0} records not assigned</div>
      </Show>
    </div>
  );
}
