import path from "node:path";
import { Router } from "express";
import { DASHBOARD_BUCKETS, DatasetDashboard } from "@tessera/shared-crdt/api";
import { DashboardService } from "../../stats/DashboardService.js";
import { WindowError } from "../../stats/window.js";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError } from "../errors.js";
import { sendJson } from "../json.js";

/** A dataset's dashboard (SPEC D-DASH): status counts over time, throughput, time spent, labels, `stats.json`. */

const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };

export function dashboardRouter(ctx: AppContext, dataDir: string, now: () => number = Date.now): Router {
  const router = Router();
  const service = new DashboardService({
    activityDir: path.join(dataDir, ".tessera", "activity"),
    now,
    memo: (id, key, compute) => ctx.library.memo(id, key, compute),
  });
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/dashboard",
      operationId: "get_dataset_dashboard",
      summary: "Dataset dashboard: status counts over time, throughput per person, time per record, labels",
      tags: ["Dashboard"],
      query: [
        {
          name: "from",
          schema: { type: "string", format: "date-time" },
          description: "Start of the window, ISO 8601 (default: the activity feed's first entry).",
        },
        {
          name: "to",
          schema: { type: "string", format: "date-time" },
          description: "End of the window, ISO 8601 (default: now).",
        },
        {
          name: "bucket",
          schema: { type: "string", enum: [...DASHBOARD_BUCKETS], default: "auto" },
          description: "Time buckets: UTC hours or days; auto = hours for windows up to 3 days.",
        },
      ],
      responses: {
        "200": { description: "The dashboard of the window.", content: { "application/json": DatasetDashboard } },
        "404": { description: "No such dataset.", content: HTTPError },
        "422": {
          description: "A window that is not one (bad dates, from after to, too many buckets).",
          content: HTTPError,
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      try {
        sendJson(res, 200, await service.summary(handle, req.query));
      } catch (err) {
        if (err instanceof WindowError) throw new HttpError(422, err.message);
        throw err;
      }
    },
  );
  return router;
}
