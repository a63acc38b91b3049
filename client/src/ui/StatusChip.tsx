const LABELS: Record<string, string> = { new: "New", inProgress: "In progress", inReview: "In review", validated: "Validated" };

/** Status chips everywhere a record appears: new grey, inProgress blue, inReview amber, validated green. */
export function StatusChip(props: { status: string }) {
  return (
    <span class={`chip st-${props.status}`} data-testid="status-chip" data-status={props.status}>
      {LABELS[props.status] ?? props.status}
    </span>
  );
}

export const STATUS_ORDER = ["new", "inProgress", "inReview", "validated"] as const;
export function statusLabel(s: string): string {
  return LABELS[s] ?? s;
}
