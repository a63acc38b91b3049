import { userColor, type LiveUser, type StatusChange, type WorkflowAction } from "@tessera/shared-crdt";
import type { RoomManager } from "../sync/RoomManager.js";
import type { LiveRoomsPort } from "./LiveHub.js";

/**
 * The live channel's view of the record rooms: status and edit events with the person who made
 * them (names and roles learnt from the people who joined), and workflow actions.
 */
export function liveRoomsPort(rooms: RoomManager, clock: () => Date = () => new Date()): LiveRoomsPort & { remember(user: LiveUser): void } {
  const users = new Map<string, LiveUser>();
  const remember = (u: LiveUser) => users.set(u.id, u);
  const userOf = (id: string): LiveUser =>
    users.get(id) ?? { id, name: id.startsWith("rest:") ? "REST client" : id.replace(/^guest:/, ""), color: userColor(id), role: "annotator" };
  rooms.on("join", (e) => remember({ id: e.userId, name: e.name, color: userColor(e.userId), role: e.role as LiveUser["role"] }));
  return {
    remember,
    onStatus: (fn) =>
      rooms.on("status", (e) =>
        fn({ datasetId: e.datasetId, recordId: e.recordId, from: e.from, to: e.to, action: e.action, by: userOf(e.userId), comment: e.comment, at: clock().toISOString() }),
      ),
    onEdit: (fn) => rooms.on("edit", (e) => fn({ datasetId: e.datasetId, recordId: e.recordId, user: userOf(e.userId), tables: { ...e.counts } })),
    async applyWorkflow(datasetId: string, recordId: string, action: WorkflowAction, user: LiveUser, comment: string): Promise<StatusChange> {
      remember(user);
      const { from, to } = await rooms.applyWorkflow(datasetId, recordId, action, { id: user.id, name: user.name, role: user.role, tessera: false }, comment, { flush: true });
      return { datasetId, recordId, from, to, action, by: user, comment: action === "reject" ? comment : "", at: clock().toISOString() };
    },
  };
}
