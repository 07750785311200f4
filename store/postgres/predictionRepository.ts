import {
  readRows,
  type PredictionRepository,
  type PredictionRow,
  type StoredPrediction,
} from "../predictionRepository.ts";
import type { PgPool } from "./pool.ts";

/** PostgreSQL implementation of PredictionRepository: every replica reads the predictions any of them raised. */
export class PgPredictionRepository implements PredictionRepository {
  constructor(private readonly pool: PgPool) {}

  async save(fingerprint: string, prediction: unknown, recordedAt: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO predictions (fingerprint, recorded_at, prediction_json) VALUES ($1, $2, $3)
       ON CONFLICT (fingerprint) DO UPDATE SET recorded_at = excluded.recorded_at,
         prediction_json = excluded.prediction_json`,
      [fingerprint, recordedAt, JSON.stringify(prediction)],
    );
  }

  async recent(limit: number): Promise<{ rows: StoredPrediction[]; unreadable: number }> {
    const { rows: raw } = await this.pool.query<PredictionRow>(
      "SELECT * FROM predictions ORDER BY recorded_at DESC, fingerprint LIMIT $1",
      [limit],
    );
    return readRows(raw);
  }

  async prune(keep: number): Promise<number> {
    const res = await this.pool.query(
      `DELETE FROM predictions WHERE fingerprint NOT IN
         (SELECT fingerprint FROM predictions ORDER BY recorded_at DESC, fingerprint LIMIT $1)`,
      [keep],
    );
    return res.rowCount ?? 0;
  }
}
