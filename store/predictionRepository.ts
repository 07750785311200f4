import type { Db } from "./db.ts";

/** One stored prediction: the fingerprint of the alert raised for it and the prediction as recorded. */
export interface StoredPrediction {
  fingerprint: string;
  recordedAt: string;
  /** The prediction as JSON (its shape is the watcher's; the registry validates it on load). */
  prediction: unknown;
}

/**
 * The predictive watcher's predictions, kept across restarts. Promise-returning like the other
 * repositories; bounded by `prune`.
 */
export interface PredictionRepository {
  /** Insert or replace the prediction behind an alert fingerprint. */
  save(fingerprint: string, prediction: unknown, recordedAt: string): Promise<void>;
  /** The newest `limit` predictions, newest first. Rows whose JSON does not parse are skipped and counted. */
  recent(limit: number): Promise<{ rows: StoredPrediction[]; unreadable: number }>;
  /** Keep only the newest `keep` rows; returns how many were deleted. */
  prune(keep: number): Promise<number>;
}

/** A predictions row as both stores return it. */
export interface PredictionRow {
  fingerprint: string;
  recorded_at: string;
  prediction_json: string;
}

/** Rows to stored predictions; a row whose JSON does not parse is skipped and counted. */
export function readRows(raw: readonly PredictionRow[]): { rows: StoredPrediction[]; unreadable: number } {
  const rows: StoredPrediction[] = [];
  let unreadable = 0;
  for (const r of raw) {
    try {
      rows.push({
        fingerprint: r.fingerprint,
        recordedAt: r.recorded_at,
        prediction: JSON.parse(r.prediction_json),
      });
    } catch {
      unreadable++;
    }
  }
  return { rows, unreadable };
}

export class SqlitePredictionRepository implements PredictionRepository {
  constructor(private readonly db: Db) {}

  async save(fingerprint: string, prediction: unknown, recordedAt: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO predictions (fingerprint, recorded_at, prediction_json) VALUES (?, ?, ?)
         ON CONFLICT (fingerprint) DO UPDATE SET recorded_at = excluded.recorded_at,
           prediction_json = excluded.prediction_json`,
      )
      .run(fingerprint, recordedAt, JSON.stringify(prediction));
  }

  async recent(limit: number): Promise<{ rows: StoredPrediction[]; unreadable: number }> {
    const raw = this.db
      .prepare("SELECT * FROM predictions ORDER BY recorded_at DESC, fingerprint LIMIT ?")
      .all(limit) as PredictionRow[];
    return readRows(raw);
  }

  async prune(keep: number): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM predictions WHERE fingerprint NOT IN
           (SELECT fingerprint FROM predictions ORDER BY recorded_at DESC, fingerprint LIMIT ?)`,
      )
      .run(keep).changes;
  }
}
