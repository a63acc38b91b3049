import { DEFAULT_QUERY, queryToSearch, searchToQuery, type ExplorerQuery } from "../api/explorerQuery.js";

/**
 * Hash routes, as Pixano has them: `#/` the library, `#/explorer/:datasetId?filter…` the explorer,
 * `#/explorer/:datasetId/workspace/:recordId?filter…` a record (the explorer's query rides along
 * so previous/next keep the filtered order), `#/profile` one's own account, `#/admin` the accounts
 * (global admins), `#/dashboard/:datasetId` a dataset's dashboard. Pure parse/format.
 */
export type Route =
  | { readonly page: "library" }
  | { readonly page: "profile" }
  | { readonly page: "admin" }
  | { readonly page: "explorer"; readonly datasetId: string; readonly query: ExplorerQuery }
  | { readonly page: "workspace"; readonly datasetId: string; readonly recordId: string; readonly query: ExplorerQuery }
  | { readonly page: "notFound"; readonly path: string }
  | { readonly page: "dashboard"; readonly datasetId: string }
  | { readonly page: "import" };

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch (err) {
    if (err instanceof URIError) return null;
    throw err;
  }
}

export function parseHash(hash: string): Route {
  const raw = hash.startsWith("#") ? hash.slice(1) : hash;
  const q = raw.indexOf("?");
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const search = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : "");
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length === 0) return { page: "library" };
  if (parts.length === 1 && (parts[0] === "profile" || parts[0] === "admin")) return { page: parts[0] };
  if (parts.length === 1 && parts[0] === "import") return { page: "import" };
  if (parts[0] === "explorer" && parts.length === 2) {
    const datasetId = decode(parts[1] ?? "");
    if (datasetId) return { page: "explorer", datasetId, query: searchToQuery(search) };
  }
  if (parts[0] === "explorer" && parts.length === 4 && parts[2] === "workspace") {
    const datasetId = decode(parts[1] ?? "");
    const recordId = decode(parts[3] ?? "");
    if (datasetId && recordId) return { page: "workspace", datasetId, recordId, query: searchToQuery(search) };
  }
  if (parts[0] === "dashboard" && parts.length === 2) {
    const datasetId = decode(parts[1] ?? "");
    if (datasetId) return { page: "dashboard", datasetId };
  }
  return { page: "notFound", path };
}

export function formatRoute(route: Route): string {
  switch (route.page) {
    case "library":
      return "#/";
    case "profile":
      return "#/profile";
    case "admin":
      return "#/admin";
    case "explorer": {
      const s = queryToSearch(route.query).toString();
      return `#/explorer/${encodeURIComponent(route.datasetId)}${s ? `?${s}` : ""}`;
    }
    case "workspace": {
      // The page offset is the explorer's business; the workspace keeps filters and sort only.
      const s = queryToSearch({ ...route.query, offset: 0 }).toString();
      return `#/explorer/${encodeURIComponent(route.datasetId)}/workspace/${encodeURIComponent(route.recordId)}${s ? `?${s}` : ""}`;
    }
    case "notFound":
      return `#${route.path}`;
    case "dashboard":
      return `#/dashboard/${encodeURIComponent(route.datasetId)}`;
    case "import":
      return "#/import";
  }
}

export function explorerRoute(datasetId: string, query: ExplorerQuery = DEFAULT_QUERY): Route {
  return { page: "explorer", datasetId, query };
}

export function workspaceRoute(datasetId: string, recordId: string, query: ExplorerQuery = DEFAULT_QUERY): Route {
  return { page: "workspace", datasetId, recordId, query };
}
