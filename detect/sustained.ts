/**
 * The `for:` of a Prometheus rule for predictions: a condition must hold on `cycles` consecutive evaluations
 * before it counts, so one noisy fit does not raise an incident. One counter per key.
 */
export class Sustained {
  private readonly streaks = new Map<string, number>();

  constructor(private readonly cycles: number) {}

  /** Record this evaluation; true once the condition has held `cycles` times in a row. */
  observe(key: string, holds: boolean): boolean {
    if (!holds) {
      this.streaks.delete(key);
      return false;
    }
    const n = (this.streaks.get(key) ?? 0) + 1;
    this.streaks.set(key, n);
    return n >= this.cycles;
  }

  /** Forget a key (its series is gone). */
  forget(key: string): void {
    this.streaks.delete(key);
  }
}
