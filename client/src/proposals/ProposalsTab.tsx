import { createMemo, For, Show } from "solid-js";
import { kindLabel } from "../kinds/registry.js";
import { toastError } from "../ui/toasts.js";
import type { WorkspaceContext } from "../pages/workspace/workspaceContext.js";
import { percent, ProposalChip } from "./ProposalChip.js";
import type { ProposalItem } from "./proposalModel.js";

/**
 * The record's model proposals (SPEC D-PROPOSAL): a score threshold (this person's, kept in the
 * browser), bulk accept above it, and each proposal with its source, score and status, to accept
 * or reject (editing its shape or label corrects it). Every action is one undo step, live for all.
 */
export function ProposalsTab(props: { ctx: WorkspaceContext }) {
  const ctx = props.ctx;
  const P = ctx.proposals;
  const aboveThreshold = createMemo(
    () => P.all().filter((p) => p.status === "pending" && p.score !== null && p.score >= P.threshold()).length,
  );
  const counts = createMemo(() => {
    const c = { pending: 0, hidden: 0 };
    for (const p of P.all()) {
      if (p.status === "pending" && !p.filtered) c.pending++;
      if (p.status === "pending" && p.filtered) c.hidden++;
    }
    return c;
  });
  const selected = (p: ProposalItem) => ctx.selection().some((r) => r.table === p.table && r.id === p.id);
  const act = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      toastError(err, what);
    }
  };
  const labelOf = (p: ProposalItem) => ctx.index.get(p.entityId)?.label ?? "";
  return (
    <div class="tab-body proposals" data-testid="proposals-tab">
      <div class="proposal-tools">
        <label class="row">
          <span class="faint">Score ≥</span>
          <input
            type="range"
            class="grow"
            min="0"
            max="1"
            step="0.01"
            value={P.threshold()}
            aria-label="Proposal score threshold"
            data-testid="proposal-threshold"
            onInput={(e) => P.setThreshold(Number(e.currentTarget.value))}
          />
          <span class="mono" data-testid="proposal-threshold-value">
            {P.threshold().toFixed(2)}
          </span>
        </label>
        <div class="row">
          <span class="faint grow" data-testid="proposal-counts">
            {counts().pending} to review{counts().hidden > 0 ? ` · ${counts().hidden} below the threshold` : ""}
          </span>
          <button
            class="btn"
            data-testid="proposal-accept-all"
            disabled={!ctx.editable() || aboveThreshold() === 0}
            onClick={() => act("Accept", () => P.acceptAboveThreshold())}
          >
            Accept {aboveThreshold()} ≥ {P.threshold().toFixed(2)}
          </button>
        </div>
      </div>
      <Show when={P.all().length === 0}>
        <div class="empty">No model proposal on this record.</div>
      </Show>
      <div class="proposal-list" data-testid="proposal-list">
        <For each={P.listed()}>
          {(p) => (
            <div
              class="proposal"
              classList={{ sel: selected(p), rejected: p.status === "rejected" }}
              data-testid="proposal-row"
              data-id={p.id}
              data-status={p.status}
              data-score={p.score ?? ""}
              onClick={() => ctx.select([{ table: p.table, id: p.id }])}
            >
              <span class="swatch" style={{ background: ctx.colorOfLabel(labelOf(p)) }} />
              <div class="grow what">
                <div>
                  {labelOf(p) || "—"} <span class="faint">{kindLabel(p.table) ?? p.table}</span>
                </div>
                <ProposalChip item={p} />
              </div>
              <button
                class="btn ghost sm"
                title={`Accept (Y) — ${percent(p.score)}`}
                aria-label="Accept"
                data-testid="proposal-accept"
                disabled={!ctx.editable() || p.status === "accepted"}
                onClick={(e) => (e.stopPropagation(), act("Accept", () => P.accept(p)))}
              >
                ✓
              </button>
              <button
                class="btn ghost sm"
                title="Reject (X): kept, marked rejected"
                aria-label="Reject"
                data-testid="proposal-reject"
                disabled={!ctx.editable() || p.status === "rejected"}
                onClick={(e) => (e.stopPropagation(), act("Reject", () => P.reject(p)))}
              >
                ✕
              </button>
            </div>
          )}
        </For>
      </div>
    </div>
  );
}
