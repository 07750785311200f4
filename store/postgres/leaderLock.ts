import type { Leadership } from "../leadership.ts";
import { LOCK_CLASS, type PgClient, type PgPool } from "./pool.ts";

/**
 * Leadership by a PostgreSQL session advisory lock held on one connection: the server releases it when that
 * connection ends, so a replica killed with -9 loses it as soon as the server notices (at once for a closed
 * socket; a TCP keepalive for a vanished host). Followers try again every `retryMs`; the leader checks its
 * connection as often and steps down when it fails.
 */
export class PgLeaderLock implements Leadership {
  readonly kind = "postgres" as const;
  private client: PgClient | undefined;
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  private onChange: (leader: boolean) => void = () => undefined;
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: PgPool,
    private readonly retryMs = 2_000,
  ) {}

  isLeader(): boolean {
    return this.leader;
  }

  async start(onChange: (leader: boolean) => void): Promise<void> {
    this.onChange = onChange;
    await this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, this.retryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const c = this.client;
    this.client = undefined;
    if (c) {
      await c.query("SELECT pg_advisory_unlock($1, 0)", [LOCK_CLASS.leader]).catch(() => undefined);
      c.release();
    }
    this.set(false);
  }

  private async tick(): Promise<void> {
    try {
      if (!this.client) {
        this.client = await this.pool.connect();
        this.client.on("error", () => this.drop());
      }
      if (this.leader) {
        await this.client.query("SELECT 1");
        return;
      }
      const { rows } = await this.client.query<{ got: boolean }>(
        "SELECT pg_try_advisory_lock($1, 0) AS got",
        [LOCK_CLASS.leader],
      );
      this.set(rows[0]!.got);
    } catch {
      this.drop();
    }
  }

  /** The connection failed: whatever lock it held is gone with it. */
  private drop(): void {
    const c = this.client;
    this.client = undefined;
    c?.release(true);
    this.set(false);
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.onChange(leader);
  }
}
