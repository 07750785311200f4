/** Simulated time: `now()` in epoch milliseconds. Real clocks follow the wall; virtual ones move only on `advance`. */
export interface Clock {
  readonly mode: "real" | "virtual";
  now(): number;
}

/** Wall-clock time, for kubectl sessions and the demo. */
export function realClock(): Clock {
  return { mode: "real", now: () => Date.now() };
}

/** A clock that tests and evals move by hand; it starts at `start` (default: the wall clock at creation). */
export class VirtualClock implements Clock {
  readonly mode = "virtual" as const;
  private t: number;

  constructor(start = Date.now()) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** Moves time forward by `ms` (never backwards). */
  advance(ms: number): void {
    if (ms > 0) this.t += ms;
  }
}

/** RFC 3339 with second precision, as the API server writes timestamps. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
