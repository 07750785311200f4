import type { Alert } from "../../core/alert.ts";
import { alertFingerprint } from "../../core/alert.ts";
import type {
  Decision,
  Evidence,
  Incident,
  IncidentStatus,
  IncidentSummary,
  Target,
  TimelineEntry,
  Verification,
} from "../../core/types.ts";
import { INCIDENT_STATUSES, isTerminal } from "../../core/types.ts";
import { boundEvidence, DEFAULT_BOUNDS, type IncidentBounds } from "../bounds.ts";
import type { IncidentRepository, IncomingAlert, IngestOutcome, ListQuery } from "../incidentRepository.ts";
import {
  newIncidentId,
  toIncident,
  toSummary,
  type ActionRow,
  type AlertRow,
  type IncidentRow,
  type TimelineRow,
} from "../incidentRows.ts";
import { dismissesIncident, INGEST_TEXT, planIngest } from "../ingestRules.ts";
import { inTransaction, LOCK_CLASS, type PgClient, type PgPool } from "./pool.ts";

type Queryable = Pick<PgClient, "query">;

const now = () => new Date().toISOString();

async function one<T>(c: Queryable, sql: string, params: unknown[]): Promise<T | undefined> {
  return ((await c.query(sql, params)).rows as T[])[0];
}

async function all<T>(c: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  return (await c.query(sql, params)).rows as T[];
}

/** An alert being ingested, with its fingerprint. */
interface Item extends IncomingAlert {
  fingerprint: string;
}

/** What the store holds about an alert before it is written. */
interface Facts {
  seen_id: string | null;
  seen_incident: string | null;
  firing_incident: string | null;
  active_incident: string | null;
}

interface Planned {
  plan: ReturnType<typeof planIngest>;
  /** The stored notification this one repeats. */
  seen: { id: string; incident_id: string } | undefined;
}

/**
 * Every fact the rules need, for all `items` in one round trip, in their order. Valid for all of them at once
 * only when they are independent (see `independent`); otherwise ask for one alert at a time.
 */
async function factsOf(c: Queryable, items: Item[]): Promise<Facts[]> {
  const rows = await all<Facts & { ord: string }>(
    c,
    `SELECT i.ord, s.id AS seen_id, s.incident_id AS seen_incident,
       (SELECT incident_id FROM alerts WHERE fingerprint = i.fingerprint AND starts_at = i.starts_at
          AND status = 'firing' AND i.status = 'resolved') AS firing_incident,
       (SELECT id FROM incidents WHERE target_key = i.target_key AND active = 1) AS active_incident
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
       AS i(fingerprint, starts_at, status, target_key, ord)
     LEFT JOIN alerts s ON s.fingerprint = i.fingerprint AND s.starts_at = i.starts_at AND s.status = i.status
     ORDER BY i.ord`,
    [
      items.map((a) => a.fingerprint),
      items.map((a) => a.alert.startsAt),
      items.map((a) => a.alert.status),
      items.map((a) => a.target.key),
    ],
  );
  return rows;
}

function planOf({ alert }: Item, facts: Facts): Planned {
  const seen = facts.seen_id ? { id: facts.seen_id, incident_id: facts.seen_incident! } : undefined;
  const firing = !seen && facts.firing_incident ? facts.firing_incident : undefined;
  const active = seen ? undefined : (facts.active_incident ?? undefined);
  return {
    plan: planIngest({
      alert,
      seenIncidentId: seen?.incident_id,
      firingIncidentId: firing,
      activeIncidentId: active,
    }),
    seen,
  };
}

/**
 * Alerts whose plans can all be made from one read of the store, taken in their order: all firing (a resolved
 * one may dismiss an incident another alert would join) and each its own notification (one may be the repeat
 * of another). Alerts of one target may share the batch: the first opens the incident (when none is active), the
 * later ones join it, as one by one.
 */
function firingBatch(items: Item[]): boolean {
  if (items.length < 2) return false;
  const keys = new Set(items.map((a) => `${a.fingerprint}\u0000${a.alert.startsAt}`));
  return items.every((a) => a.alert.status === "firing") && keys.size === items.length;
}

/** What one alert of a firing batch does: the plan made from the batch's one read. */
type BatchStep =
  | { kind: "repeat"; incidentId: string; alertId: string }
  | { kind: "create" }
  /** Joins an incident already active, or (`opener`) the one an earlier alert of the batch opens. */
  | { kind: "join"; incidentId: string | undefined; opener: number | undefined };

/** Plans a firing batch (see `firingBatch`) in order, as ingesting the alerts one by one would. */
function planFiringBatch(items: Item[], facts: Facts[]): BatchStep[] {
  const active = new Map<string, { incidentId?: string; opener?: number }>();
  return items.map((a, i): BatchStep => {
    const f = facts[i]!;
    if (f.seen_id) return { kind: "repeat", incidentId: f.seen_incident!, alertId: f.seen_id };
    const held =
      active.get(a.target.key) ?? (f.active_incident ? { incidentId: f.active_incident } : undefined);
    if (held) return { kind: "join", incidentId: held.incidentId, opener: held.opener };
    active.set(a.target.key, { opener: i });
    return { kind: "create" };
  });
}

/**
 * PostgreSQL implementation of IncidentRepository: the same rules as the SQLite one (store/ingestRules.ts), safe
 * with several replicas writing at once. Ingest takes a transaction-scoped advisory lock per target, so two
 * replicas receiving alerts of one target never open two incidents for it (the partial unique index backs this).
 */
export class PgIncidentRepository implements IncidentRepository {
  private readonly bounds: IncidentBounds;

  constructor(
    private readonly pool: PgPool,
    options: { bounds?: Partial<IncidentBounds> } = {},
  ) {
    this.bounds = { ...DEFAULT_BOUNDS, ...options.bounds };
  }

  async ingest(alerts: IncomingAlert[], receivedAt: string): Promise<IngestOutcome[]> {
    const items = alerts.map(({ alert, target }) => ({
      alert,
      target,
      fingerprint: alertFingerprint(alert),
    }));
    return inTransaction(this.pool, async (c) => {
      // Sorted, so two replicas locking the same targets never wait on each other in a cycle; one round trip for
      // all of them (the sorted subquery takes them in its order): on PostgreSQL a webhook's ingest is bound by
      // its round trips, not by the server.
      await c.query(
        `SELECT count(pg_advisory_xact_lock($1, hashtext(k)))
           FROM (SELECT k FROM unnest($2::text[]) AS k ORDER BY k COLLATE "C") sorted`,
        [LOCK_CLASS.target, [...new Set(items.map((a) => a.target.key))].sort()],
      );
      if (firingBatch(items)) return this.ingestFiringBatch(c, items, receivedAt);
      const out: IngestOutcome[] = [];
      for (const a of items) {
        const plan = planOf(a, (await factsOf(c, [a]))[0]!);
        out.push(
          plan.plan.kind === "create"
            ? {
                incidentId: (await this.createWithFirstAlerts(c, [a], receivedAt))[0]!,
                fingerprint: a.fingerprint,
                outcome: "created",
              }
            : await this.apply(c, a, plan, receivedAt),
        );
      }
      return out;
    });
  }

  /**
   * A batch of firing alerts (see `firingBatch`) in a fixed number of round trips, however many alerts: their
   * facts in one query, their new incidents in one statement, every join's counters in one and its rows in
   * another, every repeat in one; where alerts used to take about six round trips each.
   */
  private async ingestFiringBatch(c: PgClient, items: Item[], receivedAt: string): Promise<IngestOutcome[]> {
    const steps = planFiringBatch(items, await factsOf(c, items));
    const openers = steps.flatMap((st, i) => (st.kind === "create" ? [i] : []));
    const created = await this.createWithFirstAlerts(
      c,
      openers.map((i) => items[i]!),
      receivedAt,
    );
    const openedBy = new Map(openers.map((i, n) => [i, created[n]!]));
    const incidentOf = (st: BatchStep, i: number) =>
      st.kind === "create"
        ? openedBy.get(i)!
        : st.kind === "join"
          ? (st.incidentId ?? openedBy.get(st.opener!)!)
          : st.incidentId;

    const repeats = steps.flatMap((st) => (st.kind === "repeat" ? [st.alertId] : []));
    if (repeats.length > 0) {
      await c.query(
        `UPDATE alerts SET last_seen_at = $1, notifications = notifications + 1
           WHERE id IN (SELECT unnest($2::bigint[]))`,
        [receivedAt, repeats],
      );
    }
    const joins = steps.flatMap((st, i) =>
      st.kind === "join" ? [{ item: items[i]!, incidentId: incidentOf(st, i) }] : [],
    );
    await this.joinBatch(c, joins, receivedAt);

    return steps.map((st, i) => ({
      incidentId: incidentOf(st, i),
      fingerprint: items[i]!.fingerprint,
      outcome: st.kind === "create" ? "created" : st.kind === "join" ? "joined" : "repeat",
    }));
  }

  /**
   * Alerts joining incidents, in order, in one statement: each incident's counters move once for all its alerts
   * (the update locks its row; the count before says which alerts are kept whole), with every alert row and
   * "joined" entry. An incident whose timeline would pass its bound takes the general path after it (it drops
   * old entries as each is added).
   */
  private async joinBatch(
    c: PgClient,
    joins: Array<{ item: Item; incidentId: string }>,
    receivedAt: string,
  ): Promise<void> {
    if (joins.length === 0) return;
    const perIncident = new Map<string, number>();
    for (const j of joins) perIncident.set(j.incidentId, (perIncident.get(j.incidentId) ?? 0) + 1);
    const column = <T>(f: (j: (typeof joins)[number]) => T) => joins.map(f);
    // The alerts' positions in their incident (the count before + their rank among this batch's joins to it) say
    // which are kept whole; incidents whose timeline would pass its bound are left out (not counted, not written).
    const counted = await all<{ id: string }>(
      c,
      `WITH u AS (
         SELECT * FROM unnest($1::text[], $2::int[]) AS u(id, k)
       ), counted AS (
         UPDATE incidents i SET alert_count = i.alert_count + u.k,
           alerts_dropped = i.alerts_dropped + GREATEST(0, i.alert_count + u.k - GREATEST(i.alert_count, $3::int)),
           timeline_count = i.timeline_count + u.k
         FROM u WHERE i.id = u.id AND i.timeline_count + u.k <= $4::int
         RETURNING i.id, i.alert_count - u.k AS before
       ), new AS (
         SELECT n.*, c.before + row_number() OVER (PARTITION BY n.incident_id ORDER BY n.ord) - 1 < $3::int AS kept
           FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
             $12::text[], $13::text[]) WITH ORDINALITY
             AS n(incident_id, fingerprint, status, starts_at, ends_at, labels_json, annotations_json, generator_url,
               message, ord)
           JOIN counted c ON c.id = n.incident_id
       ), alert AS (
         INSERT INTO alerts (incident_id, fingerprint, status, starts_at, ends_at, labels_json, annotations_json,
           generator_url, received_at, last_seen_at)
         SELECT incident_id, fingerprint, status, starts_at, ends_at,
             CASE WHEN kept THEN labels_json ELSE '{}' END, CASE WHEN kept THEN annotations_json ELSE '{}' END,
             CASE WHEN kept THEN generator_url ELSE '' END, $14, $14
           FROM new ORDER BY ord
       ), joined AS (
         INSERT INTO timeline (incident_id, at, step, message, data_json)
           SELECT incident_id, $15, 'alert_joined', message, NULL FROM new ORDER BY ord
       )
       SELECT id FROM counted`,
      [
        [...perIncident.keys()],
        [...perIncident.values()],
        this.bounds.alertsPerIncident,
        this.bounds.timelinePerIncident,
        column((j) => j.incidentId),
        column((j) => j.item.fingerprint),
        column((j) => j.item.alert.status),
        column((j) => j.item.alert.startsAt),
        column((j) => j.item.alert.endsAt),
        column((j) => JSON.stringify(j.item.alert.labels)),
        column((j) => JSON.stringify(j.item.alert.annotations)),
        column((j) => j.item.alert.generatorURL),
        column((j) => INGEST_TEXT.joined(j.item.alert, j.item.fingerprint)),
        receivedAt,
        now(),
      ],
    );
    const written = new Set(counted.map((r) => r.id));
    for (const j of joins) {
      if (written.has(j.incidentId)) continue;
      await this.insertAlert(c, j.incidentId, j.item.fingerprint, j.item.alert, receivedAt);
      await this.timeline(
        c,
        j.incidentId,
        "alert_joined",
        INGEST_TEXT.joined(j.item.alert, j.item.fingerprint),
      );
    }
  }

  /** Carry out a plan other than `create` (see createWithFirstAlerts). */
  private async apply(
    c: PgClient,
    { alert, target, fingerprint }: Item,
    { plan, seen }: Planned,
    receivedAt: string,
  ): Promise<IngestOutcome> {
    switch (plan.kind) {
      case "repeat":
        await c.query(
          "UPDATE alerts SET last_seen_at = $1, notifications = notifications + 1 WHERE id = $2",
          [receivedAt, seen!.id],
        );
        return { incidentId: plan.incidentId, fingerprint, outcome: "repeat" };
      case "resolve": {
        const incidentId =
          plan.incidentId ??
          (await this.createIncident(c, target, receivedAt, "dismissed", INGEST_TEXT.resolvedUnseen));
        await this.insertAlert(c, incidentId, fingerprint, alert, receivedAt);
        const { status } = (await one<{ status: IncidentStatus }>(
          c,
          "SELECT status FROM incidents WHERE id = $1",
          [incidentId],
        ))!;
        const { n } = (await one<{ n: number }>(
          c,
          `SELECT COUNT(*)::int AS n FROM alerts f WHERE f.incident_id = $1 AND f.status = 'firing' AND NOT EXISTS (
             SELECT 1 FROM alerts r WHERE r.fingerprint = f.fingerprint AND r.starts_at = f.starts_at
               AND r.status = 'resolved')`,
          [incidentId],
        ))!;
        if (dismissesIncident(status, n)) {
          await this.updateStatus(c, incidentId, "dismissed", INGEST_TEXT.dismissedReason);
          await this.timeline(c, incidentId, "dismissed", INGEST_TEXT.dismissed(alert, fingerprint));
          return { incidentId, fingerprint, outcome: "dismissed" };
        }
        await this.timeline(c, incidentId, "alert_resolved", INGEST_TEXT.resolved(alert, fingerprint));
        return {
          incidentId,
          fingerprint,
          outcome: plan.matchedFiring ? "resolved_recorded" : "resolved_unmatched",
        };
      }
      case "join":
        await this.insertAlert(c, plan.incidentId, fingerprint, alert, receivedAt);
        await this.timeline(c, plan.incidentId, "alert_joined", INGEST_TEXT.joined(alert, fingerprint));
        return { incidentId: plan.incidentId, fingerprint, outcome: "joined" };
      case "create":
        throw new Error("create is written by createWithFirstAlerts");
    }
  }

  /**
   * New incidents, each with its first alert, its work-queue entry and its "received" timeline entry, in one
   * statement for all (instead of nine round trips each). Their counters start at one each, as insertAlert and
   * timeline would leave them; with a bound of zero (nothing kept) each takes the general path. Returns the
   * incidents' ids in the order of `items`.
   */
  private async createWithFirstAlerts(c: PgClient, items: Item[], receivedAt: string): Promise<string[]> {
    if (items.length === 0) return [];
    if (this.bounds.alertsPerIncident < 1 || this.bounds.timelinePerIncident < 1) {
      const ids: string[] = [];
      for (const { alert, target, fingerprint } of items) {
        const id = await this.createIncident(c, target, receivedAt, "open", null);
        await c.query("INSERT INTO work_queue (incident_id) VALUES ($1)", [id]);
        await this.insertAlert(c, id, fingerprint, alert, receivedAt);
        await this.timeline(c, id, "received", INGEST_TEXT.opened(alert, fingerprint), {
          target: target.key,
        });
        ids.push(id);
      }
      return ids;
    }
    const ids = items.map(() => newIncidentId(receivedAt));
    const column = (f: (a: Item) => string) => items.map(f);
    await c.query(
      `WITH new AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) WITH ORDINALITY
           AS n(id, target_key, target_json, fingerprint, status, starts_at, ends_at, labels_json, annotations_json,
             generator_url, message, data_json, ord)
       ), incident AS (
         INSERT INTO incidents (id, status, target_key, target_json, received_at, updated_at, active, alert_count,
           timeline_count) SELECT id, 'open', target_key, target_json, $13, $13, 1, 1, 1 FROM new ORDER BY ord
         RETURNING id
       ), queued AS (
         -- Queued for the agent in the same transaction: an accepted alert is never left without a run.
         INSERT INTO work_queue (incident_id) SELECT id FROM incident
       ), alert AS (
         INSERT INTO alerts (incident_id, fingerprint, status, starts_at, ends_at, labels_json, annotations_json,
           generator_url, received_at, last_seen_at)
         SELECT id, fingerprint, status, starts_at, ends_at, labels_json, annotations_json, generator_url, $13, $13
           FROM new JOIN incident USING (id) ORDER BY ord
       )
       INSERT INTO timeline (incident_id, at, step, message, data_json)
         SELECT id, $14, 'received', message, data_json FROM new JOIN incident USING (id) ORDER BY ord`,
      [
        ids,
        column((a) => a.target.key),
        column((a) => JSON.stringify(a.target)),
        column((a) => a.fingerprint),
        column((a) => a.alert.status),
        column((a) => a.alert.startsAt),
        column((a) => a.alert.endsAt),
        column((a) => JSON.stringify(a.alert.labels)),
        column((a) => JSON.stringify(a.alert.annotations)),
        column((a) => a.alert.generatorURL),
        column((a) => INGEST_TEXT.opened(a.alert, a.fingerprint)),
        column((a) => JSON.stringify({ target: a.target.key })),
        receivedAt,
        now(),
      ],
    );
    return ids;
  }

  private async createIncident(
    c: PgClient,
    target: Target,
    receivedAt: string,
    status: IncidentStatus,
    reason: string | null,
  ): Promise<string> {
    const id = newIncidentId(receivedAt);
    await c.query(
      `INSERT INTO incidents (id, status, target_key, target_json, received_at, updated_at, active)
       VALUES ($1, 'open', $2, $3, $4, $5, 1)`,
      [id, target.key, JSON.stringify(target), receivedAt, receivedAt],
    );
    if (status !== "open") await this.updateStatus(c, id, status, reason);
    return id;
  }

  private async insertAlert(
    c: PgClient,
    incidentId: string,
    fingerprint: string,
    a: Alert,
    receivedAt: string,
  ): Promise<void> {
    // Past the bound an alert is kept only as its key (deduplication and resolution still need it).
    const counts = await one<{ alert_count: number }>(
      c,
      "SELECT alert_count FROM incidents WHERE id = $1 FOR UPDATE",
      [incidentId],
    );
    const full = (counts?.alert_count ?? 0) < this.bounds.alertsPerIncident;
    await c.query(
      `INSERT INTO alerts (incident_id, fingerprint, status, starts_at, ends_at, labels_json, annotations_json,
         generator_url, received_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
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
      ],
    );
    await c.query(
      "UPDATE incidents SET alert_count = alert_count + 1, alerts_dropped = alerts_dropped + $1 WHERE id = $2",
      [full ? 0 : 1, incidentId],
    );
  }

  private async timeline(
    c: PgClient,
    id: string,
    step: string,
    message: string,
    data?: Record<string, unknown>,
  ): Promise<void> {
    const counts = await one<{ timeline_count: number }>(
      c,
      "SELECT timeline_count FROM incidents WHERE id = $1 FOR UPDATE",
      [id],
    );
    if (counts && counts.timeline_count >= this.bounds.timelinePerIncident) {
      // Past the bound the timeline keeps its first entries and its newest: the oldest of the rest goes.
      await c.query(
        `DELETE FROM timeline WHERE id = (SELECT id FROM timeline WHERE incident_id = $1 ORDER BY id
           LIMIT 1 OFFSET $2)`,
        [id, this.bounds.timelineHead],
      );
      await c.query("UPDATE incidents SET timeline_dropped = timeline_dropped + 1 WHERE id = $1", [id]);
    } else {
      await c.query("UPDATE incidents SET timeline_count = timeline_count + 1 WHERE id = $1", [id]);
    }
    await c.query(
      "INSERT INTO timeline (incident_id, at, step, message, data_json) VALUES ($1, $2, $3, $4, $5)",
      [id, now(), step, message, data === undefined ? null : JSON.stringify(data)],
    );
  }

  private async updateStatus(
    c: Queryable,
    id: string,
    status: IncidentStatus,
    reason: string | null,
  ): Promise<void> {
    const at = now();
    await c.query(
      `UPDATE incidents SET status = $1::text, status_reason = $2, updated_at = $3, active = $4,
         resolved_at = CASE WHEN $1::text = 'resolved' THEN $3 ELSE resolved_at END WHERE id = $5`,
      [status, reason, at, isTerminal(status) ? 0 : 1, id],
    );
  }

  async get(id: string): Promise<Incident | undefined> {
    const row = await one<IncidentRow>(this.pool, "SELECT * FROM incidents WHERE id = $1", [id]);
    return row ? this.hydrate(row) : undefined;
  }

  private async listRows(query: ListQuery): Promise<IncidentRow[]> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    return query.status
      ? all<IncidentRow>(
          this.pool,
          "SELECT * FROM incidents WHERE status = $1 ORDER BY received_at DESC, seq DESC LIMIT $2",
          [query.status, limit],
        )
      : all<IncidentRow>(this.pool, "SELECT * FROM incidents ORDER BY received_at DESC, seq DESC LIMIT $1", [
          limit,
        ]);
  }

  async list(query: ListQuery): Promise<Incident[]> {
    return Promise.all((await this.listRows(query)).map((r) => this.hydrate(r)));
  }

  async listSummaries(query: ListQuery): Promise<IncidentSummary[]> {
    const rows = await this.listRows(query);
    const names = await all<{ incident_id: string; name: string }>(
      this.pool,
      `SELECT incident_id, name FROM (
         SELECT incident_id, labels_json::jsonb->>'alertname' AS name, MIN(id) AS first,
           ROW_NUMBER() OVER (PARTITION BY incident_id ORDER BY MIN(id)) AS n
         FROM alerts WHERE incident_id = ANY($1) AND labels_json::jsonb ? 'alertname'
         GROUP BY incident_id, labels_json::jsonb->>'alertname') t
       WHERE n <= 5 ORDER BY incident_id, first`,
      [rows.map((r) => r.id)],
    );
    return rows.map((row) =>
      toSummary(
        row,
        names.filter((n) => n.incident_id === row.id).map((n) => n.name),
      ),
    );
  }

  async listUnfinished(): Promise<string[]> {
    const rows = await all<{ id: string }>(
      this.pool,
      "SELECT id FROM incidents WHERE active = 1 ORDER BY received_at, id",
      [],
    );
    return rows.map((r) => r.id);
  }

  async setStatus(
    id: string,
    status: IncidentStatus,
    reason: string | null,
    note?: Omit<TimelineEntry, "at">,
  ): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await this.updateStatus(c, id, status, reason);
      if (note) await this.timeline(c, id, note.step, note.message, note.data);
    });
  }

  async appendTimeline(id: string, entry: Omit<TimelineEntry, "at">): Promise<void> {
    await inTransaction(this.pool, (c) => this.timeline(c, id, entry.step, entry.message, entry.data));
  }

  async saveEvidence(id: string, evidence: Evidence): Promise<void> {
    await this.pool.query("UPDATE incidents SET evidence_json = $1, updated_at = $2 WHERE id = $3", [
      JSON.stringify(boundEvidence(evidence, this.bounds.evidenceBytes)),
      now(),
      id,
    ]);
  }

  async saveDecision(id: string, decision: Decision): Promise<void> {
    const at = now();
    await this.pool.query(
      "UPDATE incidents SET decision_json = $1, decided_at = COALESCE(decided_at, $2), updated_at = $2 WHERE id = $3",
      [JSON.stringify(decision), at, id],
    );
  }

  async markActed(id: string, at: string): Promise<void> {
    await this.pool.query(
      "UPDATE incidents SET acted_at = COALESCE(acted_at, $1), updated_at = $1 WHERE id = $2",
      [at, id],
    );
  }

  async saveVerification(id: string, verification: Verification): Promise<void> {
    await this.pool.query(
      "UPDATE incidents SET verification_json = $1, verified_at = $2, updated_at = $3 WHERE id = $4",
      [JSON.stringify(verification), verification.checkedAt, now(), id],
    );
  }

  async updateTarget(id: string, target: Target): Promise<void> {
    await this.pool.query("UPDATE incidents SET target_json = $1, updated_at = $2 WHERE id = $3", [
      JSON.stringify(target),
      now(),
      id,
    ]);
  }

  async countByStatus(): Promise<Record<IncidentStatus, number>> {
    const counts = Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, 0])) as Record<IncidentStatus, number>;
    const rows = await all<{ status: IncidentStatus; n: number }>(
      this.pool,
      "SELECT status, COUNT(*)::int AS n FROM incidents GROUP BY status",
      [],
    );
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async pingWrite(): Promise<void> {
    // A real committed write; waiting at most 1 s for a lock, so a stuck database reads as unhealthy.
    await inTransaction(this.pool, async (c) => {
      await c.query("SET LOCAL lock_timeout = '1s'");
      await c.query(
        "INSERT INTO health_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
        [now()],
      );
    });
  }

  async claimObject(id: string, objectKey: string): Promise<string | undefined> {
    const holder = async () =>
      (
        await one<{ id: string }>(
          this.pool,
          "SELECT id FROM incidents WHERE object_key = $1 AND active = 1 AND id != $2",
          [objectKey, id],
        )
      )?.id;
    const other = await holder();
    if (other) return other;
    try {
      await this.pool.query("UPDATE incidents SET object_key = $1 WHERE id = $2", [objectKey, id]);
      return undefined;
    } catch (err) {
      // Another replica claimed it between our read and write: the unique index says who.
      if ((err as { code?: string }).code === "23505") return holder();
      throw err;
    }
  }

  async exclusively<T>(id: string, fn: () => Promise<T>): Promise<T> {
    // A session advisory lock on its own connection (fn uses the pool as usual); released with the connection if
    // this process dies.
    const c = await this.pool.connect();
    try {
      await c.query("SELECT pg_advisory_lock($1, hashtext($2))", [LOCK_CLASS.incident, id]);
      try {
        return await fn();
      } finally {
        await c.query("SELECT pg_advisory_unlock($1, hashtext($2))", [LOCK_CLASS.incident, id]);
      }
    } finally {
      c.release();
    }
  }

  async mergeInto(id: string, intoId: string, reason: string): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      // Lock both incidents first, in one order for every caller. Moving alerts takes a foreign-key share lock
      // on the incident they join, and the timeline takes its row FOR UPDATE: two merges into one incident that
      // took the share locks first each waited for the other's (deadlock detected, one merge lost).
      await c.query("SELECT id FROM incidents WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE", [
        [id, intoId],
      ]);
      await c.query("UPDATE alerts SET incident_id = $1 WHERE incident_id = $2", [intoId, id]);
      for (const which of [intoId, id]) {
        await c.query(
          `UPDATE incidents SET alert_count = (SELECT COUNT(*) FROM alerts WHERE incident_id = incidents.id),
             alerts_dropped = GREATEST(0, (SELECT COUNT(*) FROM alerts WHERE incident_id = incidents.id) - $1)
           WHERE id = $2`,
          [this.bounds.alertsPerIncident, which],
        );
      }
      await this.timeline(c, intoId, "alert_joined", `the alerts of incident ${id} joined: ${reason}`);
      await this.updateStatus(
        c,
        id,
        "dismissed",
        `duplicate: ${reason}; its alerts joined incident ${intoId}`,
      );
      await this.timeline(c, id, "dismissed", `joined incident ${intoId}: ${reason}`);
    });
  }

  async beginRun(id: string): Promise<number> {
    const row = await one<{ unfinished_runs: number }>(
      this.pool,
      "UPDATE incidents SET unfinished_runs = unfinished_runs + 1 WHERE id = $1 RETURNING unfinished_runs",
      [id],
    );
    return (row?.unfinished_runs ?? 1) - 1;
  }

  async endRun(id: string): Promise<void> {
    await this.pool.query("UPDATE incidents SET unfinished_runs = 0 WHERE id = $1", [id]);
  }

  private async hydrate(row: IncidentRow): Promise<Incident> {
    const [alerts, timeline, actions] = await Promise.all([
      all<AlertRow>(this.pool, "SELECT * FROM alerts WHERE incident_id = $1 ORDER BY id LIMIT $2", [
        row.id,
        this.bounds.alertsPerIncident,
      ]),
      all<TimelineRow>(
        this.pool,
        "SELECT at, step, message, data_json FROM timeline WHERE incident_id = $1 ORDER BY id",
        [row.id],
      ),
      all<ActionRow>(this.pool, "SELECT * FROM actions WHERE incident_id = $1 ORDER BY requested_at, key", [
        row.id,
      ]),
    ]);
    return toIncident(row, alerts, timeline, actions);
  }
}
