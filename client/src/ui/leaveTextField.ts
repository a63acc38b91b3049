/** Input types that are not typed into: Esc on them keeps its page meaning (clear the selection…). */
const NOT_TEXT = new Set(["checkbox", "radio", "range", "button", "submit", "reset", "color", "file", "image"]);

/** Whether `el` is a field one types text into (a text input, a textarea, an editable element). */
function isTextField(el: EventTarget | null): el is HTMLElement {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el instanceof HTMLTextAreaElement) return true;
  return el instanceof HTMLInputElement && !NOT_TEXT.has(el.type);
}

/**
 * Esc in a text field leaves it: focus goes back to the page, so the page's shortcuts work again
 * (the field keeps its text). Returns whether it did; the caller then stops there.
 */
export function leaveTextField(e: KeyboardEvent): boolean {
  if (e.key !== "Escape" || !isTextField(e.target)) return false;
  e.preventDefault();
  e.target.blur();
  return true;
}
