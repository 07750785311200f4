import {
  toSetting,
  type RuntimeSetting,
  type RuntimeSettingRow,
  type RuntimeSettings,
} from "../runtimeSettings.ts";
import { inTransaction, type PgPool } from "./pool.ts";

/** PostgreSQL implementation of RuntimeSettings: every replica reads the same settings. */
export class PgRuntimeSettings implements RuntimeSettings {
  constructor(
    private readonly pool: PgPool,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get<T>(kind: string, key: string): Promise<RuntimeSetting<T> | undefined> {
    const { rows } = await this.pool.query<RuntimeSettingRow>(
      "SELECT * FROM runtime_settings WHERE kind = $1 AND key = $2",
      [kind, key],
    );
    return rows[0] ? toSetting<T>(rows[0]) : undefined;
  }

  async list<T>(kind: string): Promise<Array<RuntimeSetting<T>>> {
    const { rows } = await this.pool.query<RuntimeSettingRow>(
      "SELECT * FROM runtime_settings WHERE kind = $1 ORDER BY key",
      [kind],
    );
    return rows.map((r) => toSetting<T>(r));
  }

  async set(kind: string, key: string, value: unknown, by: string): Promise<void> {
    const at = this.now().toISOString();
    const json = value === null ? null : JSON.stringify(value);
    await inTransaction(this.pool, async (c) => {
      if (json === null)
        await c.query("DELETE FROM runtime_settings WHERE kind = $1 AND key = $2", [kind, key]);
      else
        await c.query(
          `INSERT INTO runtime_settings (kind, key, value_json, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (kind, key) DO UPDATE SET value_json = excluded.value_json,
             changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
          [kind, key, json, by, at],
        );
      await c.query(
        `INSERT INTO runtime_settings_log (kind, key, value_json, changed_by, changed_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [kind, key, json, by, at],
      );
    });
  }

  async history(kind: string, limit = 50): Promise<Array<RuntimeSetting<unknown | null>>> {
    const { rows } = await this.pool.query<RuntimeSettingRow>(
      "SELECT * FROM runtime_settings_log WHERE kind = $1 ORDER BY id DESC LIMIT $2",
      [kind, limit],
    );
    return rows.map((r) => toSetting(r));
  }
}
