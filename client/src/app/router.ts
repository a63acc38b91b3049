import { createSignal } from "solid-js";
import { formatRoute, parseHash, type Route } from "./routes.js";

/** The current hash route as a signal; navigation writes the hash (history works as expected). */
const [route, setRoute] = createSignal<Route>(parseHash(window.location.hash));

window.addEventListener("hashchange", () => setRoute(parseHash(window.location.hash)));

export { route };

export function navigate(next: Route, options: { replace?: boolean } = {}): void {
  const hash = formatRoute(next);
  if (hash === window.location.hash || (hash === "#/" && window.location.hash === "")) {
    setRoute(next);
    return;
  }
  if (options.replace) {
    window.history.replaceState(null, "", hash);
    setRoute(next);
  } else {
    window.location.hash = hash;
  }
}
