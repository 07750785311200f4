/**
 * The work queue replicas share: one entry per incident the agent must run. A replica claims entries for a
 * lease it renews while it works; an entry whose lease lapsed (its replica died) is claimed by another.
 * Only the PostgreSQL store has one; on SQLite one process works everything from its in-memory queue.
 */
export interface WorkQueue {
  /** Claim up to `n` waiting entries (oldest first, lapsed leases included) for this replica. */
  claim(n: number): Promise<string[]>;
  /** Claim one incident (an approval answered here): false while another replica's lease on it holds. */
  claimOne(id: string): Promise<boolean>;
  /** Renew this replica's leases on `ids`; returns the ids still held (a lease lost to another replica is not). */
  renew(ids: readonly string[]): Promise<string[]>;
  /** The run ended (finished, paused for a person, escalated): the entry goes. */
  done(id: string): Promise<void>;
  /** Shutting down mid-run: hand the entries back at once, for another replica to claim without waiting. */
  abandon(ids: readonly string[]): Promise<void>;
  /**
   * Hand back at once every entry `owner` holds: the caller knows that process is dead (the front saw its agent
   * process exit), so its leases need not lapse first. Returns how many were handed back.
   */
  releaseDead(owner: string): Promise<number>;
  /** Queue active incidents that need a run and have no entry (waiting for a person excepted). */
  requeueOrphans(): Promise<number>;
  /** Entries waiting (unclaimed or lapsed) across all replicas. */
  depth(): Promise<number>;
}
