import { onCleanup, onMount, type JSX } from "solid-js";

/** A modal dialog: Esc closes it (when allowed), focus starts on its first field. */
export function Dialog(props: {
  title: string;
  children: JSX.Element;
  onClose?: () => void;
  wide?: boolean;
  testId?: string;
}) {
  let box: HTMLDivElement | undefined;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape" && props.onClose) {
      e.stopPropagation();
      props.onClose();
    }
  };
  onMount(() => {
    window.addEventListener("keydown", onKey, true);
    const first = box?.querySelector<HTMLElement>("input, select, textarea, button.primary");
    first?.focus();
  });
  onCleanup(() => window.removeEventListener("keydown", onKey, true));
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose?.()}>
      <div
        class={`dialog${props.wide ? " wide" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        ref={box}
        data-testid={props.testId}
      >
        <h2>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}
