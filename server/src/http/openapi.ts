import type { JsonSchema, RouteSpec } from "./routeTable.js";
import { componentSchemas, ref } from "./schemas.js";

/**
 * The OpenAPI 3.1 document of the server, built from the route table the routers register
 * through — a route cannot exist without appearing here.
 */
export function buildOpenApi(routes: readonly RouteSpec[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const pathParams = [...spec.path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const queryParams = (spec.query ?? []).map((q) => ({
      name: q.name,
      in: "query",
      required: q.required ?? false,
      schema: q.schema,
      ...(q.description ? { description: q.description } : {}),
    }));
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.headers ? { headers: r.headers } : {}),
        ...(r.content
          ? { content: Object.fromEntries(Object.entries(r.content).map(([type, schema]) => [type, { schema }])) }
          : {}),
      };
    }
    if ((queryParams.length > 0 || spec.body) && !responses["422"]) {
      responses["422"] = {
        description: "Validation Error",
        content: { "application/json": { schema: ref("HTTPValidationError") } },
      };
    }
    if (pathParams.length > 0 && !responses["404"]) {
      responses["404"] = { description: "Not Found", content: { "application/json": { schema: ref("HTTPError") } } };
    }
    const operation: Record<string, unknown> = {
      operationId: spec.operationId,
      summary: spec.summary,
      tags: spec.tags,
      parameters: [...pathParams, ...queryParams],
      responses,
    };
    if (spec.deprecated) operation.deprecated = true;
    if (spec.body) operation.requestBody = { required: true, content: { "application/json": { schema: spec.body } } };
    (paths[spec.path] ??= {})[spec.method] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Tessera",
      version,
      description: "Pixano-compatible REST API (routes and shapes of Pixano 0.8), served by Tessera.",
    },
    paths,
    components: { schemas: componentSchemas() },
  };
}
