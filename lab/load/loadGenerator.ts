/** A bounded HTTP load against one loopback URL: it stops by itself after `maxRequests` or `maxDurationMs`. */
export interface LoadOptions {
  url: string;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Target rate over all workers. */
  requestsPerSecond?: number;
  maxRequests?: number;
  maxDurationMs?: number;
  timeoutMs?: number;
}

/** What the load saw. `failed` counts non-2xx answers, timeouts and refused connections. */
export interface LoadReport {
  sent: number;
  failed: number;
  firstFailureAt: number | null;
  lastFailureAt: number | null;
}

export interface RunningLoad {
  /** Failures whose request ended within [from, to] (ms since the epoch). */
  failuresBetween(from: number, to: number): number;
  report(): LoadReport;
  stop(): Promise<LoadReport>;
}

/** Start the load; it runs until stopped or a bound is reached. */
export function startLoad(opts: LoadOptions): RunningLoad {
  const concurrency = opts.concurrency ?? 4;
  const rps = opts.requestsPerSecond ?? 100;
  const maxRequests = opts.maxRequests ?? 20_000;
  const deadline = Date.now() + (opts.maxDurationMs ?? 120_000);
  const timeoutMs = opts.timeoutMs ?? 2000;
  const gapMs = (1000 * concurrency) / rps;
  const failures: number[] = [];
  let sent = 0;
  let stopped = false;

  const worker = async () => {
    while (!stopped && sent < maxRequests && Date.now() < deadline) {
      sent++;
      const started = Date.now();
      try {
        const res = await fetch(opts.url, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        if (!res.ok) failures.push(Date.now());
      } catch {
        failures.push(Date.now());
      }
      const wait = gapMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const workers = Promise.all(Array.from({ length: concurrency }, worker));
  const report = (): LoadReport => ({
    sent,
    failed: failures.length,
    firstFailureAt: failures[0] ?? null,
    lastFailureAt: failures.at(-1) ?? null,
  });
  return {
    failuresBetween: (from, to) => failures.filter((t) => t >= from && t <= to).length,
    report,
    async stop() {
      stopped = true;
      await workers;
      return report();
    },
  };
}
