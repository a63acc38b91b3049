import { Show } from "solid-js";
import type { ProposalItem } from "./proposalModel.js";

export const percent = (score: number | null) => (score === null ? "no score" : `${Math.round(score * 100)} %`);

const STATUS_LABEL: Readonly<Record<string, string>> = {
  pending: "to review",
  accepted: "accepted",
  corrected: "corrected",
  rejected: "rejected",
};

/** A model proposal's source, score and review status, as the object and proposal lists show them. */
export function ProposalChip(props: { item: ProposalItem }) {
  return (
    <span
      class={`proposal-chip ps-${props.item.status}`}
      data-testid="proposal-chip"
      data-status={props.item.status}
      title={`Proposed by ${props.item.sourceName || "a model"} (${percent(props.item.score)}), ${STATUS_LABEL[props.item.status] ?? props.item.status}`}
    >
      <span class="src">{props.item.sourceName || "model"}</span>
      <Show when={props.item.score !== null}>
        <span class="score">{percent(props.item.score)}</span>
      </Show>
      <span class="st">{STATUS_LABEL[props.item.status] ?? props.item.status}</span>
    </span>
  );
}
