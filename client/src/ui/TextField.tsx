import type { JSX } from "solid-js";

export interface TextFieldProps {
  /** The visible label; the input is inside it, so it is also the input's accessible name. */
  readonly label: string;
  readonly value: string;
  readonly onValue: (value: string) => void;
  readonly name: string;
  readonly type?: "text" | "password";
  readonly autocomplete?: string;
  readonly placeholder?: string;
  readonly autofocus?: boolean;
  readonly maxLength?: number;
  readonly inputMode?: "numeric" | "text";
  readonly style?: JSX.CSSProperties;
}

/** A labelled one-line text input, as every form of the app lays it out (`.field` > `.input`). */
export function TextField(props: TextFieldProps): JSX.Element {
  return (
    <label class="field">
      {props.label}
      <input
        class="input"
        type={props.type ?? "text"}
        name={props.name}
        autocomplete={props.autocomplete}
        placeholder={props.placeholder}
        autofocus={props.autofocus}
        maxLength={props.maxLength}
        inputMode={props.inputMode}
        style={props.style}
        value={props.value}
        onInput={(e) => props.onValue(e.currentTarget.value)}
      />
    </label>
  );
}
