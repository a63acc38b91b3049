import { Router } from "express";
import type { AppContext } from "../context.js";
import { sendJson } from "../json.js";

/**
 * Pixano 0.8's inference discovery routes (`pixano/api/routers/inference.py`), as a Pixano
 * server with no inference provider connected answers them. Pixano's web client polls both on
 * every page; without them each page logs 404s. Tessera connects no provider (yet), so:
 *
 * - `GET /inference/connected` → `{"connected": false, "providers": {}, "default_provider": null}`;
 * - `GET /inference/models/list[?task=…]` → `[]` (with no provider Pixano returns `[]` before it
 *   looks at `task`, so any `task` value gets `[]`).
 */
export function inferenceRouter(ctx: AppContext): Router {
  const router = Router();
  const tags = ["Inference"];
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/inference/connected",
      operationId: "list_connected_providers",
      summary: "List connected inference providers (none on Tessera)",
      tags,
      responses: {
        "200": {
          description: "The inference registry: nothing connected.",
          content: {
            "application/json": {
              type: "object",
              required: ["connected", "providers"],
              properties: {
                connected: { type: "boolean" },
                providers: {
                  type: "object",
                  additionalProperties: { type: "object", properties: { url: { type: ["string", "null"] } } },
                },
                default_provider: { type: ["string", "null"] },
              },
            },
          },
        },
      },
    },
    (_req, res) => sendJson(res, 200, { connected: false, providers: {}, default_provider: null }),
  );
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/inference/models/list",
      operationId: "list_inference_models",
      summary: "List inference models across connected providers (none on Tessera)",
      tags,
      query: [
        {
          name: "task",
          schema: { type: ["string", "null"] },
          description: "An inference task; ignored while no provider is connected, as in Pixano.",
        },
      ],
      responses: {
        "200": {
          description: "The models: none.",
          content: {
            "application/json": {
              type: "array",
              items: {
                type: "object",
                required: ["name", "task", "provider_name"],
                properties: {
                  name: { type: "string" },
                  task: { type: "string" },
                  provider_name: { type: "string" },
                  model_path: { type: ["string", "null"] },
                  model_class: { type: ["string", "null"] },
                },
              },
            },
          },
        },
      },
    },
    (_req, res) => sendJson(res, 200, []),
  );
  return router;
}
