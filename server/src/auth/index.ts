/**
 * Accounts, roles, sessions, API tokens and their enforcement (docs/ARCHITECTURE.md §5). The
 * composition root opens an {@link AuthService}; the REST app, the sync endpoint and the live
 * channel ask it who a request is, and the permission table decides what that role may do.
 */
export { AuthService, type AuthConfig, type AuthOnConfig, type Authentication } from "./AuthService.js";
export { ensureAdmin, firstAdminMessage, type FirstAdmin } from "./bootstrap.js";
export { authenticateRequests, PermissionGuard } from "./middleware.js";
export { PERMISSIONS, datasetParamOf, decide, ruleOf, type Rule } from "./permissions.js";
export { LOCAL_IDENTITY, principalIdentity, requestAuth, type Principal } from "./principal.js";
export { ROLES, atLeast, isRole, roleOn } from "./roles.js";
export { authRouter } from "./routes.js";
export { userRouter } from "./userRoutes.js";
export { UserStore, UserStoreError, normalizeUsername, userView, type UserRecord, type UserView } from "./UserStore.js";
export { generatePassword, hashPassword, verifyPassword, passwordProblem } from "./password.js";
export { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from "./ConnectionGuard.js";
export { DEFAULT_LOGIN_LIMITS, type LoginLimits } from "./LoginGate.js";
export { SESSION_COOKIE } from "./cookies.js";
export { authConfigFromEnv, AuthEnvError } from "./env.js";
