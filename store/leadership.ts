/** Which replica runs the singletons (predictive watcher, approval expiry): one leader at a time. */
export interface Leadership {
  /**
   * How leadership is decided: `single` (one process on SQLite is always the leader), `postgres` (an advisory
   * lock) or `lease` (a Kubernetes Lease).
   */
  readonly kind: "single" | "postgres" | "lease";
  isLeader(): boolean;
  /** Start contending; `onChange` is called each time this replica becomes or stops being the leader. */
  start(onChange: (leader: boolean) => void): Promise<void>;
  /** Stop contending and give leadership up. */
  stop(): Promise<void>;
}

/** SQLite: one process owns the file, so it leads from its start. */
export class SingleProcessLeadership implements Leadership {
  readonly kind = "single" as const;
  private leader = false;

  isLeader(): boolean {
    return this.leader;
  }

  async start(onChange: (leader: boolean) => void): Promise<void> {
    this.leader = true;
    onChange(true);
  }

  async stop(): Promise<void> {
    this.leader = false;
  }
}
