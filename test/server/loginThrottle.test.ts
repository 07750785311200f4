import { describe, expect, it } from "vitest";
import {
  createLoginThrottle,
  LOGIN_WINDOW_MS,
  MAX_FAILED_LOGINS,
} from "../../server/dashboard/loginThrottle.ts";

describe("login throttle", () => {
  it("lets an address try again once its oldest failure leaves the window, and keeps addresses apart", () => {
    let now = 1_000_000;
    const throttle = createLoginThrottle(() => now);
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
      expect(throttle.retryAfter("10.0.0.1")).toBe(0);
      throttle.failed("10.0.0.1");
      now += 1000;
    }
    expect(throttle.retryAfter("10.0.0.1")).toBe(LOGIN_WINDOW_MS / 1000 - MAX_FAILED_LOGINS);
    expect(throttle.retryAfter("10.0.0.2")).toBe(0);
    now += LOGIN_WINDOW_MS - MAX_FAILED_LOGINS * 1000;
    expect(throttle.retryAfter("10.0.0.1")).toBe(0);
  });

  it("forgets an address's failures after a successful login", () => {
    const throttle = createLoginThrottle(() => 0);
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) throttle.failed("a");
    throttle.succeeded("a");
    throttle.failed("a");
    expect(throttle.retryAfter("a")).toBe(0);
  });
});
