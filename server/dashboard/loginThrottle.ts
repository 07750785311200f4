/** Failed logins allowed per client address within the window before further attempts are refused. */
export const MAX_FAILED_LOGINS = 5;
export const LOGIN_WINDOW_MS = 60_000;
/** Addresses tracked at most (the oldest are forgotten first), so a flood cannot grow memory. */
const MAX_TRACKED = 10_000;

/** Slows down guessing the API token through the login form: a few failures per address per minute. */
export interface LoginThrottle {
  /** Seconds until this address may try again, or 0 when it may try now. */
  retryAfter(address: string): number;
  failed(address: string): void;
  succeeded(address: string): void;
}

export function createLoginThrottle(now: () => number = Date.now): LoginThrottle {
  const failures = new Map<string, number[]>();
  const recent = (address: string) =>
    (failures.get(address) ?? []).filter((t) => now() - t < LOGIN_WINDOW_MS);
  return {
    retryAfter(address) {
      const times = recent(address);
      if (times.length < MAX_FAILED_LOGINS) return 0;
      return Math.max(1, Math.ceil((times[0]! + LOGIN_WINDOW_MS - now()) / 1000));
    },
    failed(address) {
      const times = recent(address);
      times.push(now());
      failures.delete(address);
      failures.set(address, times);
      if (failures.size > MAX_TRACKED) failures.delete(failures.keys().next().value!);
    },
    succeeded(address) {
      failures.delete(address);
    },
  };
}
