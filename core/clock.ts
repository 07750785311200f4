/**
 * Time as AegisOps reads it: injected wherever code waits, so tests and evals on a simulated cluster's clock
 * move time by exactly what the code waits (no real sleeps, no timing luck).
 */
export interface Clock {
  /** Milliseconds since the epoch on this clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The machine's clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/** How a poll ended: `done` when `until` held for the last probe, else the deadline passed first. */
export interface PollResult<T> {
  done: boolean;
  /** The last probe's value. */
  last: T;
  /** Probes run. */
  attempts: number;
}

/**
 * Run `probe` until `until` holds for its value or `timeoutMs` has passed on `clock`, waiting `intervalMs`
 * between probes (the last wait is cut short so the last probe runs at the deadline). The probe runs at least
 * once; its errors propagate.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  until: (value: T) => boolean,
  opts: { timeoutMs: number; intervalMs: number; clock?: Clock | undefined },
): Promise<PollResult<T>> {
  const clock = opts.clock ?? systemClock;
  const deadline = clock.now() + opts.timeoutMs;
  for (let attempts = 1; ; attempts++) {
    const last = await probe();
    if (until(last)) return { done: true, last, attempts };
    if (clock.now() >= deadline) return { done: false, last, attempts };
    await clock.sleep(Math.max(0, Math.min(opts.intervalMs, deadline - clock.now())));
  }
}
