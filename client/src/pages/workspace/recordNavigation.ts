import { createResource, onCleanup } from "solid-js";
import { getNeighbors } from "../../api/endpoints.js";
import type { ExplorerQuery } from "../../api/explorerQuery.js";
import { ApiError } from "../../api/http.js";
import { dispatchFollow } from "../../app/follow.js";
import { navigate } from "../../app/router.js";
import { explorerRoute, workspaceRoute } from "../../app/routes.js";
import { toastError } from "../../ui/toasts.js";

/**
 * The open record's place in the explorer's filtered order (position, previous and next record) and
 * moving from it: to a neighbour, or back to the explorer. Moving yourself stops following someone.
 * Offline, the neighbours are asked again when the network is back (no toast); an unknown record is
 * said by the page ("No such record"), not here.
 */
export function recordNavigation(datasetId: string, recordId: string, query: ExplorerQuery) {
  const refetchOnline = () => void refetch();
  onCleanup(() => window.removeEventListener("online", refetchOnline));
  const [neighbors, { refetch }] = createResource(async () => {
    try {
      return await getNeighbors(datasetId, recordId, query);
    } catch (err) {
      if (!navigator.onLine && !(err instanceof ApiError))
        window.addEventListener("online", refetchOnline, { once: true });
      else if (!(err instanceof ApiError && err.status === 404))
        toastError(err, "Cannot find the previous and next records");
      return null;
    }
  });
  const go = (target: string | null | undefined) => {
    if (!target) return;
    dispatchFollow({ type: "userNavigated" });
    navigate(workspaceRoute(datasetId, target, query));
  };
  const back = () => {
    dispatchFollow({ type: "userNavigated" });
    navigate(explorerRoute(datasetId, query));
  };
  return { neighbors, go, back };
}
