import { userColor, type LiveUser, type NamedAction, type StatusChange } from "@tessera/shared-crdt";
import type { RoomManager } from "../sync/RoomManager.js";
import { systemClock, type Clock } from "../sync/clock.js";
import type { LiveRoomsPort } from "./LiveHub.js";

/**
 * The live channel's view of the record rooms: status and edit events with the person who made
 * them (names and roles learnt from the people who joined), and workflow actions.
 */
export function liveRoomsPort(
  rooms: RoomManager,
  clock: Clock = systemClock,
): LiveRoomsPort & { remember(user: LiveUser, datasetId: string): void } {
  // Keyed by dataset too: one account may hold different roles on different datasets.
  const users = new Map<string, LiveUser>();
  const keyOf = (datasetId: string, id: string) => `${datasetId}\u0000${id}`;
  const remember = (u: LiveUser, datasetId: string) => users.set(keyOf(datasetId, u.id), u);
  const userOf = (datasetId: string, id: string): LiveUser =>
    users.get(keyOf(datasetId, id)) ?? {
      id,
      name: id.startsWith("rest:") ? "REST client" : id.replace(/^guest:/, ""),
      color: userColor(id),
      role: "annotator",
    };
  rooms.on("join", (e) =>
    remember({ id: e.userId, name: e.name, color: userColor(e.userId), role: e.role as LiveUser["role"] }, e.datasetId),
  );
  return {
    remember,
    onStatus: (fn) =>
      rooms.on("status", (e) =>
        fn({
          datasetId: e.datasetId,
          recordId: e.recordId,
          from: e.from,
          to: e.to,
          action: e.action,
          by: userOf(e.datasetId, e.userId),
          comment: e.comment,
          at: new Date(clock.now()).toISOString(),
        }),
      ),
    onEdit: (fn) =>
      rooms.on("edit", (e) =>
        fn({
          datasetId: e.datasetId,
          recordId: e.recordId,
          user: userOf(e.datasetId, e.userId),
          tables: { ...e.counts },
        }),
      ),
    async applyWorkflow(
      datasetId: string,
      recordId: string,
      action: NamedAction,
      user: LiveUser,
      comment: string,
    ): Promise<StatusChange> {
      remember(user, datasetId);
      const { from, to } = await rooms.applyWorkflow(
        datasetId,
        recordId,
        action,
        { id: user.id, name: user.name, role: user.role, tessera: false },
        comment,
        { flush: true },
      );
      return {
        datasetId,
        recordId,
        from,
        to,
        action,
        by: user,
        comment: action === "reject" ? comment : "",
        at: new Date(clock.now()).toISOString(),
      };
    },
  };
}
