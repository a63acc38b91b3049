/**
 * Accounts, roles, sessions, API tokens and their enforcement (docs/ARCHITECTURE.md §5). The
 * composition root opens an {@link AuthService}; the REST app, the sync endpoint and the live
 * channel ask it who a request is, and the permission table decides what that role may do.
 */
export { AuthService, type AuthConfig } from "./AuthService.js";
export { ensureAdmin, firstAdminMessage, type FirstAdmin } from "./bootstrap.js";
export { authenticateRequests, PermissionGuard } from "./middleware.js";
export { PERMISSIONS, datasetParamOf, ruleOf, type Rule } from "./permissions.js";
export { ROLES } from "./roles.js";
export { authRouter } from "./routes.js";
export { userRouter } from "./userRoutes.js";
export { UserStore, UserStoreError, userView, type UserRecord } from "./UserStore.js";
export { generatePassword, hashPassword, verifyPassword, passwordProblem } from "./password.js";
export { authConfigFromEnv, AuthEnvError } from "./env.js";
