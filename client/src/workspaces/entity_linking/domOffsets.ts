/**
 * Where a DOM selection falls in a text rendered by the panel: the number of UTF-16 code units of
 * the text before a DOM point, which is a JavaScript index and a Pixano offset (SPEC
 * S-SPANS-UNIT). The root holds only the text's own characters (names of people are drawn by CSS
 * pseudo-elements, which a Range does not read), so a Range's `toString()` length is exact.
 */
function offsetIn(root: HTMLElement, node: Node, offset: number, length: number): number {
  if (!root.contains(node)) {
    // Outside the text: before it counts as 0, after it as the end.
    return root.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING ? 0 : length;
  }
  const r = document.createRange();
  r.setStart(root, 0);
  r.setEnd(node, offset);
  return Math.min(length, r.toString().length);
}

/** The selection's ranges inside `root` (several in browsers that keep several), as text offsets. */
export function selectionRanges(root: HTMLElement, sel: Selection, length: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i < sel.rangeCount; i++) {
    const r = sel.getRangeAt(i);
    if (!r.intersectsNode(root)) continue;
    const start = offsetIn(root, r.startContainer, r.startOffset, length);
    const end = offsetIn(root, r.endContainer, r.endOffset, length);
    if (end > start) out.push({ start, end });
  }
  return out;
}
