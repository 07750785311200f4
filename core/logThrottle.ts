/**
 * At most one log line per key per interval, so a flood (a scanner sending bad tokens, a storm overflowing
 * the agent's queue) cannot fill the disk or bury everything else. The next line that goes out says how
 * many were held back.
 */
export type LogThrottle = (key: string, emit: (suppressed: number) => void) => void;

/** Keys remembered at most; past it the memory starts over (a flood of distinct keys stays bounded). */
const MAX_KEYS = 1000;

export function createLogThrottle(intervalMs = 10_000, now: () => number = Date.now): LogThrottle {
  const seen = new Map<string, { at: number; suppressed: number }>();
  return (key, emit) => {
    const t = now();
    const entry = seen.get(key);
    if (entry && t - entry.at < intervalMs) {
      entry.suppressed++;
      return;
    }
    if (!entry && seen.size >= MAX_KEYS) seen.clear();
    seen.set(key, { at: t, suppressed: 0 });
    emit(entry?.suppressed ?? 0);
  };
}
