import { randomUUID } from "node:crypto";
import type { Alert } from "../core/alert.ts";
import { alertFingerprint } from "../core/alert.ts";
import type {
  Decision,
  Evidence,
  Incident,
  IncidentAlert,
  IncidentStatus,
  IncidentSummary,
  Target,
  TimelineEntry,
  Verification,
} from "../core/types.ts";
import { INCIDENT_STATUSES, isTerminal } from "../core/types.ts";
import { boundEvidence, DEFAULT_BOUNDS, type IncidentBounds } from "./bounds.ts";
import type { Db } from "./db.ts";

/** An alert on its way in, with the target it was resolved to. */
export interface IncomingAlert {
  alert: Alert;
  target: Target;
}

/** What ingest did with one alert. */
export interface IngestOutcome {
  incidentId: string;
  fingerprint: string;
  outcome: "created" | "joined" | "repeat" | "resolved_recorded" | "dismissed" | "resolved_unmatched";
}

export interface ListQuery {
  status?: IncidentStatus | undefined;
  limit?: number | undefined;
}

/** Incidents, their alerts and timelines. Promise-returning so a networked database can replace SQLite. */
export interface IncidentRepository {
  /** Persist alerts of one notification atomically, grouping them into incidents (one open per target). */
  ingest(alerts: IncomingAlert[], receivedAt: string): Promise<IngestOutcome[]>;
  get(id: string): Promise<Incident | undefined>;
  list(query: ListQuery): Promise<Incident[]>;
  /** Newest first, as `list`, but only what a listing shows (bounded size per incident). */
  listSummaries(query: ListQuery): Promise<IncidentSummary[]>;
  /** Ids of incidents the agent has not finished, oldest first. */
  listUnfinished(): Promise<string[]>;
  /** Change status (and append a timeline entry). Terminal statuses free the target for a new incident. */
  setStatus(
    id: string,
    status: IncidentStatus,
    reason: string | null,
    note?: Omit<TimelineEntry, "at">,
  ): Promise<void>;
  appendTimeline(id: string, entry: Omit<TimelineEntry, "at">): Promise<void>;
  saveEvidence(id: string, evidence: Evidence): Promise<void>;
  saveDecision(id: string, decision: Decision): Promise<void>;
  markActed(id: string, at: string): Promise<void>;
  saveVerification(id: string, verification: Verification): Promise<void>;
  updateTarget(id: string, target: Target): Promise<void>;
  /** Number of incidents in each status (statuses with none are 0). */
  countByStatus(): Promise<Record<IncidentStatus, number>>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Resolves when the database accepts a write (rolled back at once); rejects when it cannot write. */
  pingWrite(): Promise<void>;
  /**
   * Pin the incident to the real object it is about (container id, namespace/kind/name). Returns the id of
   * another active incident that already holds that object, in which case this one holds nothing.
   */
  claimObject(id: string, objectKey: string): Promise<string | undefined>;
  /** Move this incident's alerts into `intoId` and dismiss it: both named the same object. */
  mergeInto(id: string, intoId: string, reason: string): Promise<void>;
  /** Count a run of the agent as started; returns how many earlier runs started and never finished. */
  beginRun(id: string): Promise<number>;
  /** The run ended (finished, paused for approval, or stopped on shutdown): it did not kill the process. */
  endRun(id: string): Promise<void>;
}

interface IncidentRow {
  id: string;
  status: IncidentStatus;
  status_reason: string | null;
  target_json: string;
  evidence_json: string | null;
  decision_json: string | null;
  verification_json: string | null;
  received_at: string;
  decided_at: string | null;
  acted_at: string | null;
  verified_at: string | null;
  resolved_at: string | null;
  alerts_dropped: number;
  timeline_dropped: number;
  alert_count: number;
}

interface AlertRow {
  status: "firing" | "resolved";
  fingerprint: string;
  starts_at: string;
  ends_at: string;
  labels_json: string;
  annotations_json: string;
  generator_url: string;
  received_at: string;
}

interface ActionRow {
  key: string;
  action: string;
  target: string;
  params_json: string;
  attempt: number;
  state: string;
  requested_at: string;
  completed_at: string | null;
  result_json: string | null;
  error: string | null;
}

const ACTIVE_STATUSES: IncidentStatus[] = [
  "open",
  "investigating",
  "awaiting_approval",
  "acting",
  "verifying",
];
/** Statuses in which nothing has been done to the target yet, so a resolved alert may dismiss the incident. */
const UNTOUCHED: IncidentStatus[] = ["open", "investigating", "awaiting_approval"];

const now = () => new Date().toISOString();
const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

/** SQLite implementation of IncidentRepository. */
export class SqliteIncidentRepository implements IncidentRepository {
  private readonly stmts;

  private readonly bounds: IncidentBounds;

  constructor(
    private readonly db: Db,
    options: { bounds?: Partial<IncidentBounds> } = {},
  ) {
    this.bounds = { ...DEFAULT_BOUNDS, ...options.bounds };
    this.stmts = {
      alertByKey: db.prepare(
        "SELECT id, incident_id FROM alerts WHERE fingerprint = ? AND starts_at = ? AND status = ?",
      ),
      firingAlertOf: db.prepare(
        "SELECT incident_id FROM alerts WHERE fingerprint = ? AND starts_at = ? AND status = 'firing'",
      ),
      bumpAlert: db.prepare(
        "UPDATE alerts SET last_seen_at = ?, notifications = notifications + 1 WHERE id = ?",
      ),
      insertAlert: db.prepare(
        `INSERT INTO alerts (incident_id, fingerprint, status, starts_at, ends_at, labels_json, annotations_json,
           generator_url, received_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      activeByTarget: db.prepare("SELECT id FROM incidents WHERE target_key = ? AND active = 1"),
      insertIncident: db.prepare(
        `INSERT INTO incidents (id, status, target_key, target_json, received_at, updated_at, active)
         VALUES (?, 'open', ?, ?, ?, ?, 1)`,
      ),
      insertTimeline: db.prepare(
        "INSERT INTO timeline (incident_id, at, step, message, data_json) VALUES (?, ?, ?, ?, ?)",
      ),
      countsOf: db.prepare("SELECT alert_count, timeline_count FROM incidents WHERE id = ?"),
      bumpAlertCount: db.prepare(
        "UPDATE incidents SET alert_count = alert_count + 1, alerts_dropped = alerts_dropped + ? WHERE id = ?",
      ),
      bumpTimelineCount: db.prepare("UPDATE incidents SET timeline_count = timeline_count + 1 WHERE id = ?"),
      // Past the bound the timeline keeps its first entries and its newest: the oldest of the rest goes.
      dropTimelineRow: db.prepare(
        "DELETE FROM timeline WHERE id = (SELECT id FROM timeline WHERE incident_id = ? ORDER BY id LIMIT 1 OFFSET ?)",
      ),
      bumpTimelineDropped: db.prepare(
        "UPDATE incidents SET timeline_dropped = timeline_dropped + 1 WHERE id = ?",
      ),
      objectHolder: db.prepare("SELECT id FROM incidents WHERE object_key = ? AND active = 1 AND id != ?"),
      setObject: db.prepare("UPDATE incidents SET object_key = ? WHERE id = ?"),
      moveAlerts: db.prepare("UPDATE alerts SET incident_id = ? WHERE incident_id = ?"),
      recountAlerts: db.prepare(
        `UPDATE incidents SET alert_count = (SELECT COUNT(*) FROM alerts WHERE incident_id = incidents.id),
           alerts_dropped = MAX(0, (SELECT COUNT(*) FROM alerts WHERE incident_id = incidents.id) - ?) WHERE id = ?`,
      ),
      beginRun: db.prepare(
        "UPDATE incidents SET unfinished_runs = unfinished_runs + 1 WHERE id = ? RETURNING unfinished_runs",
      ),
      endRun: db.prepare("UPDATE incidents SET unfinished_runs = 0 WHERE id = ?"),
      alertnamesOf: db.prepare(
        `SELECT DISTINCT json_extract(labels_json, '$.alertname') AS name FROM alerts
           WHERE incident_id = ? AND json_extract(labels_json, '$.alertname') IS NOT NULL ORDER BY id LIMIT 5`,
      ),
      statusOf: db.prepare("SELECT status FROM incidents WHERE id = ?"),
      setStatus: db.prepare(
        `UPDATE incidents SET status = ?, status_reason = ?, updated_at = ?, active = ?,
           resolved_at = CASE WHEN ? = 'resolved' THEN ? ELSE resolved_at END WHERE id = ?`,
      ),
      incident: db.prepare("SELECT * FROM incidents WHERE id = ?"),
      alertsOf: db.prepare("SELECT * FROM alerts WHERE incident_id = ? ORDER BY id LIMIT ?"),
      timelineOf: db.prepare(
        "SELECT at, step, message, data_json FROM timeline WHERE incident_id = ? ORDER BY id",
      ),
      actionsOf: db.prepare("SELECT * FROM actions WHERE incident_id = ? ORDER BY requested_at, key"),
      unfinished: db.prepare("SELECT id FROM incidents WHERE active = 1 ORDER BY received_at, id"),
      listAll: db.prepare("SELECT * FROM incidents ORDER BY received_at DESC, rowid DESC LIMIT ?"),
      listByStatus: db.prepare(
        "SELECT * FROM incidents WHERE status = ? ORDER BY received_at DESC, rowid DESC LIMIT ?",
      ),
      saveEvidence: db.prepare("UPDATE incidents SET evidence_json = ?, updated_at = ? WHERE id = ?"),
      saveDecision: db.prepare(
        "UPDATE incidents SET decision_json = ?, decided_at = COALESCE(decided_at, ?), updated_at = ? WHERE id = ?",
      ),
      markActed: db.prepare(
        "UPDATE incidents SET acted_at = COALESCE(acted_at, ?), updated_at = ? WHERE id = ?",
      ),
      saveVerification: db.prepare(
        "UPDATE incidents SET verification_json = ?, verified_at = ?, updated_at = ? WHERE id = ?",
      ),
      updateTarget: db.prepare("UPDATE incidents SET target_json = ?, updated_at = ? WHERE id = ?"),
      countByStatus: db.prepare("SELECT status, COUNT(*) AS n FROM incidents GROUP BY status"),
      ping: db.prepare("SELECT 1"),
      // Firing alerts of an incident with no resolved notification of their own yet.
      stillFiring: db.prepare(
        `SELECT COUNT(*) AS n FROM alerts f WHERE f.incident_id = ? AND f.status = 'firing' AND NOT EXISTS (
           SELECT 1 FROM alerts r WHERE r.fingerprint = f.fingerprint AND r.starts_at = f.starts_at AND r.status = 'resolved')`,
      ),
    };
  }

  async ingest(alerts: IncomingAlert[], receivedAt: string): Promise<IngestOutcome[]> {
    return this.db.transaction(() => alerts.map((a) => this.ingestOne(a, receivedAt)))();
  }

  private ingestOne({ alert, target }: IncomingAlert, receivedAt: string): IngestOutcome {
    const fingerprint = alertFingerprint(alert);
    const s = this.stmts;
    const seen = s.alertByKey.get(fingerprint, alert.startsAt, alert.status) as
      { id: number; incident_id: string } | undefined;
    if (seen) {
      // Alertmanager re-sends the same alert every group/repeat interval: count it, never act on it again.
      s.bumpAlert.run(receivedAt, seen.id);
      return { incidentId: seen.incident_id, fingerprint, outcome: "repeat" };
    }

    if (alert.status === "resolved") {
      const firing = s.firingAlertOf.get(fingerprint, alert.startsAt) as { incident_id: string } | undefined;
      const incidentId =
        firing?.incident_id ??
        (s.activeByTarget.get(target.key) as { id: string } | undefined)?.id ??
        this.createIncident(
          target,
          receivedAt,
          "dismissed",
          "resolved before any firing notification was seen",
        );
      this.insertAlert(incidentId, fingerprint, alert, receivedAt);
      const status = (s.statusOf.get(incidentId) as { status: IncidentStatus }).status;
      const stillFiring = (s.stillFiring.get(incidentId) as { n: number }).n;
      if (UNTOUCHED.includes(status) && stillFiring === 0) {
        this.updateStatus(incidentId, "dismissed", "every alert resolved before any action was taken");
        this.timeline(
          incidentId,
          "dismissed",
          `alert ${alert.labels.alertname ?? fingerprint} resolved by itself`,
        );
        return { incidentId, fingerprint, outcome: "dismissed" };
      }
      this.timeline(incidentId, "alert_resolved", `alert ${alert.labels.alertname ?? fingerprint} resolved`);
      return { incidentId, fingerprint, outcome: firing ? "resolved_recorded" : "resolved_unmatched" };
    }

    const active = s.activeByTarget.get(target.key) as { id: string } | undefined;
    if (active) {
      this.insertAlert(active.id, fingerprint, alert, receivedAt);
      this.timeline(
        active.id,
        "alert_joined",
        `alert ${alert.labels.alertname ?? fingerprint} joined the incident`,
      );
      return { incidentId: active.id, fingerprint, outcome: "joined" };
    }
    const id = this.createIncident(target, receivedAt, "open", null);
    this.insertAlert(id, fingerprint, alert, receivedAt);
    this.timeline(id, "received", `alert ${alert.labels.alertname ?? fingerprint} opened the incident`, {
      target: target.key,
    });
    return { incidentId: id, fingerprint, outcome: "created" };
  }

  private createIncident(
    target: Target,
    receivedAt: string,
    status: IncidentStatus,
    reason: string | null,
  ): string {
    // 64 random bits: ids stay short enough to read aloud and never collide in practice.
    const id = `inc_${receivedAt.slice(0, 10).replaceAll("-", "")}_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    this.stmts.insertIncident.run(id, target.key, JSON.stringify(target), receivedAt, receivedAt);
    if (status !== "open") this.updateStatus(id, status, reason);
    return id;
  }

  private insertAlert(incidentId: string, fingerprint: string, a: Alert, receivedAt: string): void {
    // Past the bound an alert is kept only as its key (deduplication and resolution still need it): its
    // labels and annotations are counted, not stored.
    const counts = this.stmts.countsOf.get(incidentId) as { alert_count: number } | undefined;
    const full = (counts?.alert_count ?? 0) < this.bounds.alertsPerIncident;
    this.stmts.insertAlert.run(
      incidentId,
      fingerprint,
      a.status,
      a.startsAt,
      a.endsAt,
      full ? JSON.stringify(a.labels) : "{}",
      full ? JSON.stringify(a.annotations) : "{}",
      full ? a.generatorURL : "",
      receivedAt,
      receivedAt,
    );
    this.stmts.bumpAlertCount.run(full ? 0 : 1, incidentId);
  }

  private timeline(id: string, step: string, message: string, data?: Record<string, unknown>): void {
    const counts = this.stmts.countsOf.get(id) as { timeline_count: number } | undefined;
    if (counts && counts.timeline_count >= this.bounds.timelinePerIncident) {
      this.stmts.dropTimelineRow.run(id, this.bounds.timelineHead);
      this.stmts.bumpTimelineDropped.run(id);
    } else {
      this.stmts.bumpTimelineCount.run(id);
    }
    this.stmts.insertTimeline.run(id, now(), step, message, data === undefined ? null : JSON.stringify(data));
  }

  private updateStatus(id: string, status: IncidentStatus, reason: string | null): void {
    const at = now();
    this.stmts.setStatus.run(status, reason, at, isTerminal(status) ? 0 : 1, status, at, id);
  }

  async get(id: string): Promise<Incident | undefined> {
    const row = this.stmts.incident.get(id) as IncidentRow | undefined;
    return row ? this.hydrate(row) : undefined;
  }

  async list(query: ListQuery): Promise<Incident[]> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const rows = (
      query.status ? this.stmts.listByStatus.all(query.status, limit) : this.stmts.listAll.all(limit)
    ) as IncidentRow[];
    return rows.map((r) => this.hydrate(r));
  }

  async listSummaries(query: ListQuery): Promise<IncidentSummary[]> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const rows = (
      query.status ? this.stmts.listByStatus.all(query.status, limit) : this.stmts.listAll.all(limit)
    ) as IncidentRow[];
    return rows.map((row) => {
      const decision = parse<Decision>(row.decision_json);
      return {
        id: row.id,
        status: row.status,
        statusReason: row.status_reason,
        target: JSON.parse(row.target_json) as Target,
        alertCount: row.alert_count,
        alertnames: (this.stmts.alertnamesOf.all(row.id) as Array<{ name: string }>).map((a) =>
          String(a.name),
        ),
        decision: decision
          ? {
              action: decision.action,
              target: decision.target,
              confidence: decision.confidence,
              planner: decision.planner,
            }
          : null,
        receivedAt: row.received_at,
        decidedAt: row.decided_at,
        actedAt: row.acted_at,
        verifiedAt: row.verified_at,
        resolvedAt: row.resolved_at,
        mttrMs: mttrOf(row),
      };
    });
  }

  async listUnfinished(): Promise<string[]> {
    return (this.stmts.unfinished.all() as Array<{ id: string }>).map((r) => r.id);
  }

  async setStatus(
    id: string,
    status: IncidentStatus,
    reason: string | null,
    note?: Omit<TimelineEntry, "at">,
  ): Promise<void> {
    this.db.transaction(() => {
      this.updateStatus(id, status, reason);
      if (note) this.timeline(id, note.step, note.message, note.data);
    })();
  }

  async appendTimeline(id: string, entry: Omit<TimelineEntry, "at">): Promise<void> {
    this.timeline(id, entry.step, entry.message, entry.data);
  }

  async saveEvidence(id: string, evidence: Evidence): Promise<void> {
    this.stmts.saveEvidence.run(
      JSON.stringify(boundEvidence(evidence, this.bounds.evidenceBytes)),
      now(),
      id,
    );
  }

  async saveDecision(id: string, decision: Decision): Promise<void> {
    const at = now();
    this.stmts.saveDecision.run(JSON.stringify(decision), at, at, id);
  }

  async markActed(id: string, at: string): Promise<void> {
    this.stmts.markActed.run(at, at, id);
  }

  async saveVerification(id: string, verification: Verification): Promise<void> {
    this.stmts.saveVerification.run(JSON.stringify(verification), verification.checkedAt, now(), id);
  }

  async updateTarget(id: string, target: Target): Promise<void> {
    this.stmts.updateTarget.run(JSON.stringify(target), now(), id);
  }

  async countByStatus(): Promise<Record<IncidentStatus, number>> {
    const counts = Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, 0])) as Record<IncidentStatus, number>;
    for (const row of this.stmts.countByStatus.all() as Array<{ status: IncidentStatus; n: number }>) {
      counts[row.status] = row.n;
    }
    return counts;
  }

  async ping(): Promise<void> {
    this.stmts.ping.get();
  }

  async pingWrite(): Promise<void> {
    // BEGIN IMMEDIATE takes the write lock: it fails on a read-only, full or locked-out database file.
    this.db.exec("BEGIN IMMEDIATE");
    try {
      this.db.prepare("UPDATE schema_migrations SET applied_at = applied_at WHERE version = 1").run();
    } finally {
      this.db.exec("ROLLBACK");
    }
  }

  async claimObject(id: string, objectKey: string): Promise<string | undefined> {
    const holder = () => (this.stmts.objectHolder.get(objectKey, id) as { id: string } | undefined)?.id;
    return this.db.transaction(() => {
      const other = holder();
      if (other) return other;
      try {
        this.stmts.setObject.run(objectKey, id);
        return undefined;
      } catch (err) {
        // Another process claimed it between our read and write: the unique index says who.
        if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") return holder();
        throw err;
      }
    })();
  }

  async mergeInto(id: string, intoId: string, reason: string): Promise<void> {
    this.db.transaction(() => {
      this.stmts.moveAlerts.run(intoId, id);
      this.stmts.recountAlerts.run(this.bounds.alertsPerIncident, intoId);
      this.stmts.recountAlerts.run(this.bounds.alertsPerIncident, id);
      this.timeline(intoId, "alert_joined", `the alerts of incident ${id} joined: ${reason}`);
      this.updateStatus(id, "dismissed", `duplicate: ${reason}; its alerts joined incident ${intoId}`);
      this.timeline(id, "dismissed", `joined incident ${intoId}: ${reason}`);
    })();
  }

  async beginRun(id: string): Promise<number> {
    const row = this.stmts.beginRun.get(id) as { unfinished_runs: number } | undefined;
    return (row?.unfinished_runs ?? 1) - 1;
  }

  async endRun(id: string): Promise<void> {
    this.stmts.endRun.run(id);
  }

  private hydrate(row: IncidentRow): Incident {
    const alerts = (this.stmts.alertsOf.all(row.id, this.bounds.alertsPerIncident) as AlertRow[]).map(
      (a): IncidentAlert => ({
        status: a.status,
        labels: JSON.parse(a.labels_json) as Record<string, string>,
        annotations: JSON.parse(a.annotations_json) as Record<string, string>,
        startsAt: a.starts_at,
        endsAt: a.ends_at,
        generatorURL: a.generator_url,
        fingerprint: a.fingerprint,
        receivedAt: a.received_at,
      }),
    );
    const timeline = (
      this.stmts.timelineOf.all(row.id) as Array<{
        at: string;
        step: string;
        message: string;
        data_json: string | null;
      }>
    ).map((t): TimelineEntry => {
      const entry: TimelineEntry = { at: t.at, step: t.step, message: t.message };
      if (t.data_json !== null) entry.data = JSON.parse(t.data_json) as Record<string, unknown>;
      return entry;
    });
    const actions = (this.stmts.actionsOf.all(row.id) as ActionRow[]).map((a) => ({
      key: a.key,
      action: a.action as Incident["actions"][number]["action"],
      target: a.target,
      params: JSON.parse(a.params_json) as Record<string, unknown>,
      attempt: a.attempt,
      state: a.state as Incident["actions"][number]["state"],
      requestedAt: a.requested_at,
      ...(a.completed_at ? { completedAt: a.completed_at } : {}),
      ...(a.result_json ? { result: JSON.parse(a.result_json) as Record<string, unknown> } : {}),
      ...(a.error ? { error: a.error } : {}),
    }));
    const mttrMs = mttrOf(row);
    const omitted =
      row.alerts_dropped > 0 || row.timeline_dropped > 0
        ? { omitted: { alerts: row.alerts_dropped, timeline: row.timeline_dropped } }
        : {};
    return {
      id: row.id,
      status: row.status,
      statusReason: row.status_reason,
      alerts,
      target: JSON.parse(row.target_json) as Target,
      evidence: parse<Evidence>(row.evidence_json),
      decision: parse<Decision>(row.decision_json),
      actions,
      verification: parse<Verification>(row.verification_json),
      timeline,
      receivedAt: row.received_at,
      decidedAt: row.decided_at,
      actedAt: row.acted_at,
      verifiedAt: row.verified_at,
      resolvedAt: row.resolved_at,
      mttrMs,
      ...omitted,
    };
  }
}

function mttrOf(row: IncidentRow): number | null {
  return row.status === "resolved" && row.verified_at
    ? Date.parse(row.verified_at) - Date.parse(row.received_at)
    : null;
}

export { ACTIVE_STATUSES };
