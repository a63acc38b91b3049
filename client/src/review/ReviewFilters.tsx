import { createResource, For } from "solid-js";
import type { ReviewPerson } from "@tessera/shared-crdt/api";
import { listStamps } from "../api/review.js";
import { toastError } from "../ui/toasts.js";
import "./review.css";

/**
 * The explorer's review filters (SPEC RV6): submitted by / reviewed by, from the people the review stamps name.
 * The server filters (`submitted_by=`, `reviewed_by=` on the record listing), so pages and counts stay right.
 */
export function ReviewFilters(props: {
  datasetId: string;
  submittedBy: string;
  reviewedBy: string;
  onChange: (f: { submittedBy: string; reviewedBy: string }) => void;
}) {
  const [people] = createResource(
    () => props.datasetId,
    async (id) => {
      try {
        const stamps = await listStamps(id);
        // Each person with the number of records they last submitted / reviewed (what the filter finds).
        const names = (pick: (s: (typeof stamps)[number]) => ReviewPerson | null) => {
          const m = new Map<string, { name: string; n: number }>();
          for (const s of stamps) {
            const p = pick(s);
            if (p) m.set(p.id, { name: p.name, n: (m.get(p.id)?.n ?? 0) + 1 });
          }
          return [...m]
            .sort((a, b) => a[1].name.localeCompare(b[1].name))
            .map(([id, { name, n }]) => [id, `${name} (${n})`] as [string, string]);
        };
        return { submitted: names((s) => s.submitted_by), reviewed: names((s) => s.reviewed_by) };
      } catch (err) {
        toastError(err, "Cannot read who submitted and reviewed");
        return { submitted: [], reviewed: [] };
      }
    },
  );
  const select = (
    label: string,
    testId: string,
    value: string,
    options: ReadonlyArray<[string, string]>,
    set: (v: string) => void,
  ) => (
    <label class="muted">
      {label}{" "}
      <select class="input" value={value} onChange={(e) => set(e.currentTarget.value)} data-testid={testId}>
        <option value="">anyone</option>
        {/* The current value stays selectable even when the stamps no longer name it. */}
        <For each={value && !options.some(([id]) => id === value) ? [...options, [value, value] as const] : options}>
          {([id, name]) => <option value={id}>{name}</option>}
        </For>
      </select>
    </label>
  );
  return (
    <div class="review-filters" data-testid="review-filters">
      {select("Submitted by", "filter-submitted-by", props.submittedBy, people()?.submitted ?? [], (v) =>
        props.onChange({ submittedBy: v, reviewedBy: props.reviewedBy }),
      )}
      {select("Reviewed by", "filter-reviewed-by", props.reviewedBy, people()?.reviewed ?? [], (v) =>
        props.onChange({ submittedBy: props.submittedBy, reviewedBy: v }),
      )}
    </div>
  );
}
