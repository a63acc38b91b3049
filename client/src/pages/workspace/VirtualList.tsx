import { createMemo, createSignal, For, onCleanup, onMount, type JSX } from "solid-js";

/**
 * A fixed-row-height virtual list: only the rows in view (plus a margin) exist in the DOM, so a
 * record with thousands of objects scrolls like one with ten.
 */
export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  overscan?: number;
  children: (item: T, index: () => number) => JSX.Element;
  testId?: string;
  scrollTo?: number | null;
}) {
  let el: HTMLDivElement | undefined;
  const [scrollTop, setScrollTop] = createSignal(0);
  const [height, setHeight] = createSignal(400);
  const overscan = () => props.overscan ?? 8;
  const range = createMemo(() => {
    const first = Math.max(0, Math.floor(scrollTop() / props.rowHeight) - overscan());
    const last = Math.min(props.items.length, Math.ceil((scrollTop() + height()) / props.rowHeight) + overscan());
    return { first, last };
  });
  // Slices keep the items' identity, so rows that stay in view keep their DOM while scrolling.
  const visible = createMemo(() => props.items.slice(range().first, range().last));
  onMount(() => {
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el?.clientHeight ?? 400));
    ro.observe(el);
    setHeight(el.clientHeight);
    onCleanup(() => ro.disconnect());
  });
  createMemo(() => {
    const target = props.scrollTo;
    if (target === null || target === undefined || !el) return;
    const top = target * props.rowHeight;
    if (top < el.scrollTop || top + props.rowHeight > el.scrollTop + el.clientHeight)
      el.scrollTop = Math.max(0, top - el.clientHeight / 2);
  });
  return (
    <div class="vlist" ref={el} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid={props.testId}>
      <div style={{ height: `${props.items.length * props.rowHeight}px`, position: "relative" }}>
        <For each={visible()}>
          {(item, i) => {
            const index = () => range().first + i();
            return (
              <div
                style={{
                  position: "absolute",
                  top: `${index() * props.rowHeight}px`,
                  left: 0,
                  right: 0,
                  height: `${props.rowHeight}px`,
                }}
              >
                {props.children(item, index)}
              </div>
            );
          }}
        </For>
      </div>
    </div>
  );
}
