import type { Alert } from "../core/alert.ts";
import { alertFingerprint } from "../core/alert.ts";
import type {
  Decision,
  Evidence,
  Incident,
  IncidentStatus,
  IncidentSummary,
  Target,
  TimelineEntry,
  Verification,
} from "../core/types.ts";
import { INCIDENT_STATUSES, isTerminal } from "../core/types.ts";
import { boundEvidence, DEFAULT_BOUNDS, type IncidentBounds } from "./bounds.ts";
import type { Db } from "./db.ts";
import {
  newIncidentId,
  toIncident,
  toSummary,
  type ActionRow,
  type AlertRow,
  type IncidentRow,
  type TimelineRow,
} from "./incidentRows.ts";
import { dismissesIncident, INGEST_TEXT, planIngest } from "./ingestRules.ts";
import { writeLockWait, type LockedWrite } from "./writeLockWait.ts";

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
  /**
   * Run `fn` while no other process runs `exclusively` for this incident: a read-decide-write of one incident
   * (an approval answer, an approval's expiry) that replicas must not interleave. On SQLite one process owns
   * the database, so this runs `fn` (callers serialize within the process).
   */
  exclusively<T>(id: string, fn: () => Promise<T>): Promise<T>;
  /** Count a run of the agent as started; returns how many earlier runs started and never finished. */
  beginRun(id: string): Promise<number>;
  /** The run ended (finished, paused for approval, or stopped on shutdown): it did not kill the process. */
  endRun(id: string): Promise<void>;
}

const ACTIVE_STATUSES: IncidentStatus[] = [
  "open",
  "investigating",
  "awaiting_approval",
  "acting",
  "verifying",
];
const now = () => new Date().toISOString();

/** SQLite implementation of IncidentRepository. */
export class SqliteIncidentRepository implements IncidentRepository {
  private readonly stmts;

  private readonly bounds: IncidentBounds;

  private readonly commitSync: (() => Promise<void>) | undefined;

  private readonly lockWait: (<T>(write: LockedWrite<T>) => Promise<T>) | undefined;

  constructor(
    private readonly db: Db,
    options: {
      bounds?: Partial<IncidentBounds>;
      /**
       * Awaited after each ingest commit, before `ingest` resolves: makes the commit durable when the
       * connection does not flush inside COMMIT (store/walSync.ts).
       */
      commitSync?: () => Promise<void>;
      /**
       * Ingest waits for another process's write lock on a timer instead of in SQLite's busy handler (the
       * connection must have busy_timeout 0; store/writeLockWait.ts): for the webhook's event loop.
       */
      waitForLockAsync?: boolean;
    } = {},
  ) {
    this.bounds = { ...DEFAULT_BOUNDS, ...options.bounds };
    this.commitSync = options.commitSync;
    this.lockWait = options.waitForLockAsync ? writeLockWait() : undefined;
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
      // A new incident with its first alert and first timeline entry already counted (ingest's "create").
      insertOpenedIncident: db.prepare(
        `INSERT INTO incidents (id, status, target_key, target_json, received_at, updated_at, active, alert_count,
           timeline_count) VALUES (?, 'open', ?, ?, ?, ?, 1, 1, 1)`,
      ),
      insertTimeline: db.prepare(
        "INSERT INTO timeline (incident_id, at, step, message, data_json) VALUES (?, ?, ?, ?, ?)",
      ),
      countsOf: db.prepare("SELECT alert_count, timeline_count FROM incidents WHERE id = ?"),
      bumpAlertCount: db.prepare(
        "UPDATE incidents SET alert_count = alert_count + 1, alerts_dropped = alerts_dropped + ? WHERE id = ?",
      ),
      bumpTimelineCount: db.prepare("UPDATE incidents SET timeline_count = timeline_count + 1 WHERE id = ?"),
      bumpAlertAndTimelineCounts: db.prepare(
        `UPDATE incidents SET alert_count = alert_count + 1, alerts_dropped = alerts_dropped + ?,
           timeline_count = timeline_count + 1 WHERE id = ?`,
      ),
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
      healthProbe: db.prepare("INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, ?)"),
      // Firing alerts of an incident with no resolved notification of their own yet.
      stillFiring: db.prepare(
        `SELECT COUNT(*) AS n FROM alerts f WHERE f.incident_id = ? AND f.status = 'firing' AND NOT EXISTS (
           SELECT 1 FROM alerts r WHERE r.fingerprint = f.fingerprint AND r.starts_at = f.starts_at AND r.status = 'resolved')`,
      ),
    };
  }

  // Transactions that write begin IMMEDIATE: the webhook's front and the agent process write one file, and a
  // deferred transaction that read before another process committed fails its write at once with "database is
  // locked" (SQLITE_BUSY_SNAPSHOT) instead of waiting out busy_timeout.
  async ingest(alerts: IncomingAlert[], receivedAt: string): Promise<IngestOutcome[]> {
    const write = this.db.transaction(() => alerts.map((a) => this.ingestOne(a, receivedAt)));
    const outcomes = this.lockWait ? await this.lockWait(() => write.immediate()) : write.immediate();
    await this.commitSync?.();
    return outcomes;
  }

  private ingestOne({ alert, target }: IncomingAlert, receivedAt: string): IngestOutcome {
    const fingerprint = alertFingerprint(alert);
    const s = this.stmts;
    const seen = s.alertByKey.get(fingerprint, alert.startsAt, alert.status) as
      { id: number; incident_id: string } | undefined;
    const plan = planIngest({
      alert,
      seenIncidentId: seen?.incident_id,
      firingIncidentId:
        alert.status === "resolved"
          ? (s.firingAlertOf.get(fingerprint, alert.startsAt) as { incident_id: string } | undefined)
              ?.incident_id
          : undefined,
      activeIncidentId: seen
        ? undefined
        : (s.activeByTarget.get(target.key) as { id: string } | undefined)?.id,
    });
    switch (plan.kind) {
      case "repeat":
        s.bumpAlert.run(receivedAt, seen!.id);
        return { incidentId: plan.incidentId, fingerprint, outcome: "repeat" };
      case "resolve": {
        const incidentId =
          plan.incidentId ?? this.createIncident(target, receivedAt, "dismissed", INGEST_TEXT.resolvedUnseen);
        this.insertAlert(incidentId, fingerprint, alert, receivedAt);
        const status = (s.statusOf.get(incidentId) as { status: IncidentStatus }).status;
        const stillFiring = (s.stillFiring.get(incidentId) as { n: number }).n;
        if (dismissesIncident(status, stillFiring)) {
          this.updateStatus(incidentId, "dismissed", INGEST_TEXT.dismissedReason);
          this.timeline(incidentId, "dismissed", INGEST_TEXT.dismissed(alert, fingerprint));
          return { incidentId, fingerprint, outcome: "dismissed" };
        }
        this.timeline(incidentId, "alert_resolved", INGEST_TEXT.resolved(alert, fingerprint));
        return {
          incidentId,
          fingerprint,
          outcome: plan.matchedFiring ? "resolved_recorded" : "resolved_unmatched",
        };
      }
      case "join":
        this.joinAlert(plan.incidentId, fingerprint, alert, receivedAt);
        return { incidentId: plan.incidentId, fingerprint, outcome: "joined" };
      case "create": {
        const id = this.openIncident(target, fingerprint, alert, receivedAt);
        return { incidentId: id, fingerprint, outcome: "created" };
      }
    }
  }

  /**
   * A new incident with its first alert: the webhook's hot path. The incident is written already counting that
   * alert and its first timeline entry (3 statements, where the general helpers read and bump the counts in 7);
   * with a bound of zero (nothing kept) it takes the general path.
   */
  private openIncident(target: Target, fingerprint: string, alert: Alert, receivedAt: string): string {
    const opened = INGEST_TEXT.opened(alert, fingerprint);
    if (this.bounds.alertsPerIncident < 1 || this.bounds.timelinePerIncident < 1) {
      const id = this.createIncident(target, receivedAt, "open", null);
      this.insertAlert(id, fingerprint, alert, receivedAt);
      this.timeline(id, "received", opened, { target: target.key });
      return id;
    }
    const id = newIncidentId(receivedAt);
    this.stmts.insertOpenedIncident.run(id, target.key, JSON.stringify(target), receivedAt, receivedAt);
    this.writeAlertRow(id, fingerprint, alert, receivedAt, true);
    this.writeTimelineRow(id, "received", opened, { target: target.key });
    return id;
  }

  private createIncident(
    target: Target,
    receivedAt: string,
    status: IncidentStatus,
    reason: string | null,
  ): string {
    const id = newIncidentId(receivedAt);
    this.stmts.insertIncident.run(id, target.key, JSON.stringify(target), receivedAt, receivedAt);
    if (status !== "open") this.updateStatus(id, status, reason);
    return id;
  }

  private insertAlert(incidentId: string, fingerprint: string, a: Alert, receivedAt: string): void {
    const counts = this.stmts.countsOf.get(incidentId) as { alert_count: number } | undefined;
    const full = (counts?.alert_count ?? 0) < this.bounds.alertsPerIncident;
    this.writeAlertRow(incidentId, fingerprint, a, receivedAt, full);
    this.stmts.bumpAlertCount.run(full ? 0 : 1, incidentId);
  }

  /** An alert joins an open incident: its row and its timeline entry, with one read and one update of counts. */
  private joinAlert(incidentId: string, fingerprint: string, a: Alert, receivedAt: string): void {
    const counts = this.stmts.countsOf.get(incidentId) as
      { alert_count: number; timeline_count: number } | undefined;
    const full = (counts?.alert_count ?? 0) < this.bounds.alertsPerIncident;
    this.writeAlertRow(incidentId, fingerprint, a, receivedAt, full);
    if (counts && counts.timeline_count >= this.bounds.timelinePerIncident) {
      this.stmts.bumpAlertCount.run(full ? 0 : 1, incidentId);
      this.dropOldestTimelineRow(incidentId);
    } else {
      this.stmts.bumpAlertAndTimelineCounts.run(full ? 0 : 1, incidentId);
    }
    this.writeTimelineRow(incidentId, "alert_joined", INGEST_TEXT.joined(a, fingerprint));
  }

  /**
   * The alert's row. Past the bound (`full` false) an alert is kept only as its key (deduplication and
   * resolution still need it): its labels and annotations are counted, not stored.
   */
  private writeAlertRow(
    incidentId: string,
    fingerprint: string,
    a: Alert,
    receivedAt: string,
    full: boolean,
  ) {
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
  }

  private timeline(id: string, step: string, message: string, data?: Record<string, unknown>): void {
    const counts = this.stmts.countsOf.get(id) as { timeline_count: number } | undefined;
    if (counts && counts.timeline_count >= this.bounds.timelinePerIncident) this.dropOldestTimelineRow(id);
    else this.stmts.bumpTimelineCount.run(id);
    this.writeTimelineRow(id, step, message, data);
  }

  /** Past the bound the timeline keeps its first entries and its newest: the oldest of the rest goes. */
  private dropOldestTimelineRow(id: string): void {
    this.stmts.dropTimelineRow.run(id, this.bounds.timelineHead);
    this.stmts.bumpTimelineDropped.run(id);
  }

  private writeTimelineRow(id: string, step: string, message: string, data?: Record<string, unknown>): void {
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
    return rows.map((row) =>
      toSummary(
        row,
        (this.stmts.alertnamesOf.all(row.id) as Array<{ name: string }>).map((a) => String(a.name)),
      ),
    );
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
    this.db
      .transaction(() => {
        this.updateStatus(id, status, reason);
        if (note) this.timeline(id, note.step, note.message, note.data);
      })
      .immediate();
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
    // A real committed write: a read-only, full or locked-out database fails it. A probe waits 1 s for the
    // write lock, not the 5 s busy timeout requests get (synchronous, so nothing else runs meanwhile).
    const busy = this.db.pragma("busy_timeout", { simple: true }) as number;
    this.db.pragma("busy_timeout = 1000");
    try {
      this.stmts.healthProbe.run(now());
    } finally {
      this.db.pragma(`busy_timeout = ${busy}`);
    }
  }

  async claimObject(id: string, objectKey: string): Promise<string | undefined> {
    const holder = () => (this.stmts.objectHolder.get(objectKey, id) as { id: string } | undefined)?.id;
    return this.db
      .transaction(() => {
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
      })
      .immediate();
  }

  exclusively<T>(_id: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async mergeInto(id: string, intoId: string, reason: string): Promise<void> {
    this.db
      .transaction(() => {
        this.stmts.moveAlerts.run(intoId, id);
        this.stmts.recountAlerts.run(this.bounds.alertsPerIncident, intoId);
        this.stmts.recountAlerts.run(this.bounds.alertsPerIncident, id);
        this.timeline(intoId, "alert_joined", `the alerts of incident ${id} joined: ${reason}`);
        this.updateStatus(id, "dismissed", `duplicate: ${reason}; its alerts joined incident ${intoId}`);
        this.timeline(id, "dismissed", `joined incident ${intoId}: ${reason}`);
      })
      .immediate();
  }

  async beginRun(id: string): Promise<number> {
    const row = this.stmts.beginRun.get(id) as { unfinished_runs: number } | undefined;
    return (row?.unfinished_runs ?? 1) - 1;
  }

  async endRun(id: string): Promise<void> {
    this.stmts.endRun.run(id);
  }

  private hydrate(row: IncidentRow): Incident {
    return toIncident(
      row,
      this.stmts.alertsOf.all(row.id, this.bounds.alertsPerIncident) as AlertRow[],
      this.stmts.timelineOf.all(row.id) as TimelineRow[],
      this.stmts.actionsOf.all(row.id) as ActionRow[],
    );
  }
}

export { ACTIVE_STATUSES };
