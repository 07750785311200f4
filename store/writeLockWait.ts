/** How long a write waits for another process's write lock before it fails (SQLite's busy_timeout here). */
export const WRITE_LOCK_TIMEOUT_MS = 5000;

/** A write that may run now: it throws SQLITE_BUSY (busy_timeout 0) when another process holds the lock. */
export type LockedWrite<T> = () => T;

const isBusy = (err: unknown) => /^SQLITE_BUSY/.test(String((err as { code?: unknown }).code ?? ""));

/**
 * Waiting for SQLite's write lock without holding the event loop. With a busy timeout, a connection that finds
 * the lock taken (the agent process commits to the same file) sleeps inside the call, 1, 2, 5, 10 … ms at a
 * time, and the webhook's process answers nothing meanwhile. Here the connection has busy_timeout 0: a write
 * that finds the lock taken is retried on a timer, while requests go on being read (and gather into the next
 * group commit). A write is one whole transaction (rolled back when it fails), so running it again is safe.
 * Writes begin in the order they were asked for; after `timeoutMs` the busy error is thrown, as busy_timeout
 * would.
 */
export function writeLockWait(options: { timeoutMs?: number; pollMs?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? WRITE_LOCK_TIMEOUT_MS;
  const pollMs = options.pollMs ?? 1;
  let last: Promise<unknown> = Promise.resolve();

  const attempt = async <T>(write: LockedWrite<T>): Promise<T> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        return write();
      } catch (err) {
        if (!isBusy(err) || performance.now() >= deadline) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };

  return <T>(write: LockedWrite<T>): Promise<T> => {
    const run = last.then(
      () => attempt(write),
      () => attempt(write),
    );
    last = run.catch(() => undefined);
    return run;
  };
}
