import { open, type FileHandle } from "node:fs/promises";

/**
 * Durable SQLite commits without holding the event loop. The webhook's connection commits with
 * `synchronous=NORMAL` (its WAL frames are written to the file, not yet flushed) and then awaits `sync()`, an
 * fdatasync of the WAL file on libuv's thread pool, before it answers. That is the flush `synchronous=FULL`
 * does inside COMMIT, moved off the event loop: while one flush runs, the next requests are read, validated and
 * committed, and one flush covers every commit made before it began (group commit). Frames a checkpoint copies
 * into the database meanwhile are safe as well: in WAL mode SQLite flushes the WAL before each checkpoint and
 * the database after it, at every `synchronous` level.
 */
export class WalSync {
  private readonly walPath: string;
  private handle: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;
  /** A flush queued behind the running one: it begins after every commit of those who wait for it. */
  private queued: Promise<void> | undefined;

  constructor(private readonly dbPath: string) {
    this.walPath = `${dbPath}-wal`;
  }

  /** Resolves once every commit this process made before the call is on stable storage. */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.begin();
    // The running flush may have begun before the caller's commit: one more follows it, shared by all who ask
    // until it begins.
    const queued = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.begin();
      });
    this.queued = queued;
    return queued;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.then(
      (h) => h.close(),
      () => undefined,
    );
  }

  private begin(): Promise<void> {
    const run: Promise<void> = this.flush().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async flush(): Promise<void> {
    let handle: FileHandle;
    try {
      // The WAL file lives as long as a connection to the database is open (this process holds one).
      this.handle ??= open(this.walPath, "r");
      handle = await this.handle;
    } catch (err) {
      this.handle = undefined;
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      // No WAL file: the commits are in the database file itself.
      const db = await open(this.dbPath, "r");
      try {
        await db.datasync();
      } finally {
        await db.close();
      }
      return;
    }
    await handle.datasync();
  }
}
