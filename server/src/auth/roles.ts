import type { Role } from "@tessera/shared-crdt";

/**
 * Roles (docs/ARCHITECTURE.md §5), weakest first. A user has one global role and may have per-dataset
 * overrides; the override wins on its dataset, whether it raises or lowers the global role.
 */
export const ROLES: readonly Role[] = ["viewer", "annotator", "reviewer", "admin"];

export function isRole(v: unknown): v is Role {
  return typeof v === "string" && (ROLES as readonly string[]).includes(v);
}

/** Whether `role` carries at least the rights of `min`. */
export function atLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}

/** The role a user holds on a dataset: the dataset's override, else the global role. */
export function roleOn(
  user: { readonly role: Role; readonly datasetRoles: Readonly<Record<string, Role>> },
  datasetId: string | null,
): Role {
  if (datasetId === null) return user.role;
  return Object.hasOwn(user.datasetRoles, datasetId) ? (user.datasetRoles[datasetId] ?? user.role) : user.role;
}
