import { initials } from "@tessera/shared-crdt";

/** A person: initials in their colour (the same colour everywhere: avatars, cursors, selections). */
export function Avatar(props: {
  name: string;
  color: string;
  size?: number;
  title?: string;
  onClick?: () => void;
  testId?: string;
}) {
  const size = () => props.size ?? 28;
  return (
    <span
      class={`avatar${props.onClick ? " clickable" : ""}`}
      style={{
        width: `${size()}px`,
        height: `${size()}px`,
        "font-size": `${Math.round(size() * 0.4)}px`,
        "border-color": props.color,
        background: `color-mix(in srgb, ${props.color} 35%, var(--bg3))`,
      }}
      title={props.title ?? props.name}
      data-testid={props.testId}
      data-name={props.name}
      role={props.onClick ? "button" : undefined}
      tabIndex={props.onClick ? 0 : undefined}
      onClick={() => props.onClick?.()}
      onKeyDown={(e) => {
        if (props.onClick && (e.key === "Enter" || e.key === " ")) {
          e.preventDefault();
          props.onClick();
        }
      }}
    >
      {initials(props.name)}
    </span>
  );
}
