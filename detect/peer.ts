/** Options of the peer view. */
export interface PeerOptions {
  /** Robust z (median/MAD across siblings) at which a replica counts as out of line. */
  zThreshold: number;
  /** Half-life (points) of each replica's smoothed deviation: one odd sample is not a grey failure. */
  halfLife: number;
  /** Floor of the siblings' spread relative to their median, so identical replicas do not divide by 0. */
  relativeFloor: number;
  /** Fewest replicas for a comparison to mean anything. */
  minReplicas: number;
}

/** Defaults: 3.5 robust σ, smoothed over about 4 samples, 5 % floor, at least 3 replicas. */
export const DEFAULT_PEER_OPTIONS: PeerOptions = {
  zThreshold: 3.5,
  halfLife: 4,
  relativeFloor: 0.05,
  minReplicas: 3,
};

/** One replica's standing among its siblings at the last sample. */
export interface PeerScore {
  replica: string;
  value: number;
  median: number;
  /** Smoothed robust z of this replica against its siblings (positive: above them). */
  z: number;
  /** Score in [0, 1]: 0 in line, 1 at twice the threshold. */
  score: number;
  outlier: boolean;
}

/**
 * Peer view: compares each replica of one workload with its siblings at the same instant, so a replica that
 * is "Running" but much slower than the others stands out even when the workload's own history is noisy.
 * Causal and constant memory per replica (one smoothed deviation each).
 */
export class PeerDetector {
  private readonly opts: PeerOptions;
  private readonly alpha: number;
  private readonly smoothed = new Map<string, number>();

  constructor(opts: Partial<PeerOptions> = {}) {
    this.opts = { ...DEFAULT_PEER_OPTIONS, ...opts };
    this.alpha = 1 - Math.pow(2, -1 / this.opts.halfLife);
  }

  /** Feed one sample per replica; replicas that disappeared are forgotten. */
  update(values: ReadonlyMap<string, number> | Record<string, number>): PeerScore[] {
    const entries = (values instanceof Map ? [...values.entries()] : Object.entries(values)).filter(([, v]) =>
      Number.isFinite(v),
    );
    for (const name of [...this.smoothed.keys()])
      if (!entries.some(([n]) => n === name)) this.smoothed.delete(name);
    if (entries.length < this.opts.minReplicas) return [];
    const sorted = entries.map(([, v]) => v).sort((a, b) => a - b);
    const med = median(sorted);
    const mad = median(sorted.map((v) => Math.abs(v - med)).sort((a, b) => a - b));
    const spread = Math.max(1.4826 * mad, this.opts.relativeFloor * Math.abs(med), 1e-12);
    return entries.map(([replica, value]) => {
      const z0 = (value - med) / spread;
      const prev = this.smoothed.get(replica);
      const z = prev === undefined ? z0 : prev + this.alpha * (z0 - prev);
      this.smoothed.set(replica, z);
      const score = Math.min(1, Math.max(0, Math.abs(z) / (2 * this.opts.zThreshold)));
      return { replica, value, median: med, z, score, outlier: Math.abs(z) >= this.opts.zThreshold };
    });
  }
}

function median(sorted: number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
