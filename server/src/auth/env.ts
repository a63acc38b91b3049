import type { AuthConfig } from "./AuthService.js";
import type { ConnectionLimits } from "./ConnectionGuard.js";

export class AuthEnvError extends Error {
  override name = "AuthEnvError";
}

/**
 * The auth configuration of a composition root (`tessera server run`, `server/src/main.ts`) from
 * its flag and environment: `TESSERA_AUTH` (`on` by default; `off` = single-user mode),
 * `TESSERA_ADMIN_USER` / `TESSERA_ADMIN_PASSWORD` (the first admin), `TESSERA_TRUST_PROXY=1`
 * (behind a reverse proxy: client address and HTTPS from X-Forwarded-*), and the websocket
 * limits `TESSERA_WS_PER_ADDRESS`, `TESSERA_WS_PER_USER`, `TESSERA_WS_UPGRADES_PER_SECOND` (burst:
 * four seconds' worth) and `TESSERA_LOGINS_PER_MINUTE` (sign-ins per client address per minute,
 * burst the same) for large offices behind one address, or benchmarks and test suites.
 */
export function authConfigFromEnv(env: NodeJS.ProcessEnv, flags: { noAuth?: boolean } = {}): AuthConfig {
  const raw = (env.TESSERA_AUTH ?? "").trim().toLowerCase();
  if (!["", "on", "off", "1", "0", "true", "false", "yes", "no"].includes(raw)) {
    throw new AuthEnvError(`TESSERA_AUTH must be "on" or "off" (got ${JSON.stringify(raw.slice(0, 16))})`);
  }
  const off = flags.noAuth === true || ["off", "0", "false", "no"].includes(raw);
  if (off) return { mode: "off" };
  const trust = (env.TESSERA_TRUST_PROXY ?? "").trim().toLowerCase();
  const perAddress = positiveInt(env, "TESSERA_WS_PER_ADDRESS");
  const perUser = positiveInt(env, "TESSERA_WS_PER_USER");
  const rate = positiveInt(env, "TESSERA_WS_UPGRADES_PER_SECOND");
  const logins = positiveInt(env, "TESSERA_LOGINS_PER_MINUTE");
  const connections: Partial<ConnectionLimits> = {
    ...(perAddress !== undefined ? { perAddress } : {}),
    ...(perUser !== undefined ? { perUser } : {}),
    ...(rate !== undefined ? { upgradesPerSecondPerAddress: rate, upgradeBurstPerAddress: rate * 4 } : {}),
  };
  return {
    mode: "on",
    admin: {
      ...(env.TESSERA_ADMIN_USER ? { username: env.TESSERA_ADMIN_USER } : {}),
      ...(env.TESSERA_ADMIN_PASSWORD ? { password: env.TESSERA_ADMIN_PASSWORD } : {}),
    },
    trustProxy: ["1", "true", "yes", "on"].includes(trust),
    ...(Object.keys(connections).length > 0 ? { connections } : {}),
    ...(logins !== undefined ? { login: { addressPerMinute: logins, addressBurst: logins } } : {}),
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new AuthEnvError(`${name} must be a positive integer (got ${JSON.stringify(raw.slice(0, 16))})`);
  return n;
}
