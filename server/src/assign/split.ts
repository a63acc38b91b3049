/**
 * Shares `items` among `people` (SPEC AS3). `split_evenly`: consecutive blocks whose sizes differ by at most one,
 * the first people getting the larger ones; `round_robin`: item i to person i mod n. Every item goes to exactly one
 * person; the order of items within each share is kept.
 */
export function shareOut<P>(
  items: readonly string[],
  people: readonly P[],
  mode: "split_evenly" | "round_robin",
): Array<{ person: P; items: string[] }> {
  const n = people.length;
  if (n === 0) return [];
  const shares = people.map((person) => ({ person, items: [] as string[] }));
  if (mode === "round_robin") {
    items.forEach((id, i) => shares[i % n]?.items.push(id));
    return shares;
  }
  const base = Math.floor(items.length / n);
  const extra = items.length % n;
  let at = 0;
  shares.forEach((share, i) => {
    const size = base + (i < extra ? 1 : 0);
    share.items.push(...items.slice(at, at + size));
    at += size;
  });
  return shares;
}
