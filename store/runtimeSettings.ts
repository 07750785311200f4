import type { Db } from "./db.ts";

/** One setting people changed at run time, with who and when. */
export interface RuntimeSetting<T = unknown> {
  kind: string;
  key: string;
  value: T;
  changedBy: string;
  changedAt: string;
}

/**
 * Settings changed at run time (a service's mode set from Slack, an action switched to auto), kept across
 * restarts, each change also appended to a log. Promise-returning like the other repositories.
 */
export interface RuntimeSettings {
  get<T>(kind: string, key: string): Promise<RuntimeSetting<T> | undefined>;
  list<T>(kind: string): Promise<Array<RuntimeSetting<T>>>;
  /** Set (or with `value` null, remove) a setting; both are logged. */
  set(kind: string, key: string, value: unknown, by: string): Promise<void>;
  /** The changes of one kind, newest first. */
  history(kind: string, limit?: number): Promise<Array<RuntimeSetting<unknown | null>>>;
}

/** A settings row as both stores read it (the same columns in SQLite and PostgreSQL). */
export interface RuntimeSettingRow {
  kind: string;
  key: string;
  value_json: string | null;
  changed_by: string;
  changed_at: string;
}

/** A row as the setting it stores (`value_json` null: the setting was removed). */
export const toSetting = <T>(r: RuntimeSettingRow): RuntimeSetting<T> => ({
  kind: r.kind,
  key: r.key,
  value: (r.value_json === null ? null : JSON.parse(r.value_json)) as T,
  changedBy: r.changed_by,
  changedAt: r.changed_at,
});

export class SqliteRuntimeSettings implements RuntimeSettings {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get<T>(kind: string, key: string): Promise<RuntimeSetting<T> | undefined> {
    const r = this.db.prepare("SELECT * FROM runtime_settings WHERE kind = ? AND key = ?").get(kind, key) as
      RuntimeSettingRow | undefined;
    return r ? toSetting<T>(r) : undefined;
  }

  async list<T>(kind: string): Promise<Array<RuntimeSetting<T>>> {
    const rows = this.db
      .prepare("SELECT * FROM runtime_settings WHERE kind = ? ORDER BY key")
      .all(kind) as RuntimeSettingRow[];
    return rows.map((r) => toSetting<T>(r));
  }

  async set(kind: string, key: string, value: unknown, by: string): Promise<void> {
    const at = this.now().toISOString();
    const json = value === null ? null : JSON.stringify(value);
    this.db
      .transaction(() => {
        if (json === null)
          this.db.prepare("DELETE FROM runtime_settings WHERE kind = ? AND key = ?").run(kind, key);
        else {
          this.db
            .prepare(
              `INSERT INTO runtime_settings (kind, key, value_json, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (kind, key) DO UPDATE SET value_json = excluded.value_json,
               changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
            )
            .run(kind, key, json, by, at);
        }
        this.db
          .prepare(
            "INSERT INTO runtime_settings_log (kind, key, value_json, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)",
          )
          .run(kind, key, json, by, at);
      })
      .immediate();
  }

  async history(kind: string, limit = 50): Promise<Array<RuntimeSetting<unknown | null>>> {
    const rows = this.db
      .prepare("SELECT * FROM runtime_settings_log WHERE kind = ? ORDER BY id DESC LIMIT ?")
      .all(kind, limit) as RuntimeSettingRow[];
    return rows.map((r) => toSetting(r));
  }
}
