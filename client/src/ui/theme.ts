import { createSignal } from "solid-js";

/** Dark by default, light on demand; the choice is kept in localStorage. */
export type Theme = "dark" | "light";
const KEY = "tessera.theme";

function stored(): Theme {
  try {
    return localStorage.getItem(KEY) === "light" ? "light" : "dark";
  } catch (err) {
    console.warn("tessera: localStorage unavailable", err);
    return "dark";
  }
}

const [theme, setThemeSignal] = createSignal<Theme>(stored());
export { theme };

export function applyTheme(t: Theme = theme()): void {
  document.documentElement.dataset.theme = t;
}

export function toggleTheme(): void {
  const t: Theme = theme() === "dark" ? "light" : "dark";
  setThemeSignal(t);
  applyTheme(t);
  try {
    localStorage.setItem(KEY, t);
  } catch (err) {
    console.warn("tessera: cannot keep the theme", err);
  }
}
