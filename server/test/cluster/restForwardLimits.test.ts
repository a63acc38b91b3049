import { describe, expect, it } from "vitest";
import {
  DEFAULT_REST_FORWARD_LIMITS,
  RestForwardConfigError,
  restForwardLimitsFromEnv,
} from "../../src/cluster/forwardHttp.js";

/** The relay's bounds come from the environment, and an unusable value stops the start with the variable named. */
describe("relayed REST request limits from the environment", () => {
  it("defaults when unset, positive integers when set", () => {
    expect(restForwardLimitsFromEnv({})).toEqual(DEFAULT_REST_FORWARD_LIMITS);
    expect(
      restForwardLimitsFromEnv({ TESSERA_FORWARD_MAX_REQUESTS: "8", TESSERA_FORWARD_TIMEOUT_MS: " 1500 " }),
    ).toEqual({ maxConcurrent: 8, timeoutMs: 1500 });
  });

  it("a zero, negative, fractional or non-numeric bound is a typed error naming the variable", () => {
    for (const bad of ["0", "-3", "1.5", "ten", "1e400"]) {
      expect(() => restForwardLimitsFromEnv({ TESSERA_FORWARD_TIMEOUT_MS: bad })).toThrow(RestForwardConfigError);
      expect(() => restForwardLimitsFromEnv({ TESSERA_FORWARD_MAX_REQUESTS: bad })).toThrow(
        /TESSERA_FORWARD_MAX_REQUESTS must be a positive integer/,
      );
    }
  });
});
