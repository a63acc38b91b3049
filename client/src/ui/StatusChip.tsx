import { workflowState } from "@tessera/shared-crdt";

const LABELS: Record<string, string> = {
  new: "New",
  inProgress: "In progress",
  inReview: "In review",
  validated: "Validated",
};

/**
 * Status chips everywhere a record appears: new grey, inProgress blue, inReview amber, validated
 * green; any other stored value (e.g. Pixano's `archived`) as it is, outlined: outside the workflow.
 */
export function StatusChip(props: { status: string; rejected?: boolean }) {
  const state = () => workflowState(props.status);
  // SPEC RV6: an in-progress record whose last review was a rejection (not resubmitted since) says so.
  const rejected = () => props.rejected === true && state() === "inProgress";
  return (
    <span
      class={`chip st-${rejected() ? "rejected" : state()}`}
      data-testid="status-chip"
      data-status={props.status}
      data-state={state()}
      data-rejected={rejected() ? "true" : undefined}
      title={
        rejected()
          ? "Rejected by a reviewer: back in progress until it is submitted again"
          : state() === "other"
            ? "Outside the review workflow: a reviewer can reopen it"
            : undefined
      }
    >
      {rejected() ? "Rejected" : (LABELS[props.status] ?? props.status)}
    </span>
  );
}

export const STATUS_ORDER = ["new", "inProgress", "inReview", "validated"] as const;
export function statusLabel(s: string): string {
  return LABELS[s] ?? s;
}
