import type { SelectionRef } from "../canvas/types.js";
import type { WorkspaceShortcut } from "../workspaces/types.js";
import type { ProposalModel } from "./proposalModel.js";

const plain = (k: { ctrl: boolean; alt: boolean }) => !k.ctrl && !k.alt;

/**
 * Keys of proposal review, listed in `?`: J / Shift+J go to the next / previous proposal to review
 * (selecting it), Y accepts and X rejects the selected proposals, then go to the next one.
 */
export function proposalShortcuts(o: {
  readonly model: ProposalModel;
  readonly selection: () => readonly SelectionRef[];
  select(refs: readonly SelectionRef[]): void;
  onError(err: unknown, what: string): void;
}): WorkspaceShortcut[] {
  const selectedProposals = () =>
    o.model.all().filter((p) => o.selection().some((r) => r.table === p.table && r.id === p.id));
  const go = (step: 1 | -1): boolean => {
    const from = selectedProposals()[0] ?? null;
    const next = o.model.neighbour(from, step);
    if (!next) return false;
    o.select([{ table: next.table, id: next.id }]);
    return true;
  };
  const decide = (what: "Accept" | "Reject") => (): boolean => {
    const chosen = selectedProposals();
    if (chosen.length === 0) return false;
    try {
      for (const p of chosen) (what === "Accept" ? o.model.accept : o.model.reject)(p);
    } catch (err) {
      o.onError(err, what);
      return true;
    }
    const next = o.model.neighbour(chosen[chosen.length - 1] ?? null, 1);
    o.select(next ? [{ table: next.table, id: next.id }] : []);
    return true;
  };
  return [
    { keys: "J", action: "Next model proposal to review", matches: (k) => plain(k) && k.key === "j", run: () => go(1) },
    {
      keys: "Shift+J",
      action: "Previous model proposal to review",
      matches: (k) => plain(k) && k.key === "J",
      run: () => go(-1),
    },
    {
      keys: "Y",
      action: "Accept the selected proposal, then the next",
      matches: (k) => plain(k) && k.key.toLowerCase() === "y" && !k.shift,
      edits: true,
      run: decide("Accept"),
    },
    {
      keys: "X",
      action: "Reject the selected proposal (kept, marked rejected), then the next",
      matches: (k) => plain(k) && k.key.toLowerCase() === "x" && !k.shift,
      edits: true,
      run: decide("Reject"),
    },
  ];
}
