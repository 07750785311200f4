import { ACTION_RISK } from "../../core/catalog.ts";
import { describeError, type ApprovalRefusalCode } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { Incident, TimelineEntry } from "../../core/types.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import type { ApprovalAnswer } from "../nodes/approve.ts";
import type { Policy } from "../policy/schema.ts";
import { approvalAuthority, noApproversConfigured, type ApprovalAuthority } from "./authority.ts";

/** One person's answer to an approval request, as a channel (Slack or the REST API) received it. */
export interface ApprovalVote {
  approved: boolean;
  /** A name for people: Slack's user name, or the REST body's `by`. */
  by: string;
  /** The Slack user id, for a Slack answer (what authority is checked against). */
  userId?: string;
  via: "slack" | "api" | "dashboard";
  comment?: string;
}

/** Why an answer counted for nothing. */
export type RefusalCode = ApprovalRefusalCode;

/** What became of one answer. */
export type AnswerResult =
  | { kind: "decided"; approved: boolean; approvers: string[]; expired: boolean }
  | { kind: "recorded"; approvers: string[]; required: number }
  | { kind: "refused"; code: RefusalCode; message: string };

/** Told about every answer that counted (to update the Slack message in place). */
export type ApprovalListener = (
  incident: Incident,
  result: AnswerResult,
  vote: ApprovalVote | null,
) => Promise<void>;

export interface ApprovalDeskDeps {
  incidents: IncidentRepository;
  policy: Policy;
  /** SLACK_APPROVERS: user or group ids allowed to approve every tier. */
  globalApprovers: readonly string[];
  /** Members of a Slack user group; absent without Slack (group approvers then match nobody). */
  groupMembers?: (groupId: string) => Promise<string[]>;
  /** Resume the paused incident with the final answer (the runner's Command({ resume })). */
  resume(id: string, answer: ApprovalAnswer): Promise<void>;
  logger: Logger;
  now?: () => number;
}

/** The current approval round of an incident, read back from its timeline (so a restart loses nothing). */
export interface ApprovalRound {
  /** Index in the incident's timeline of the entry that opened the round. */
  startIndex: number;
  requestedAt: string;
  expiresAt: string;
  authority: ApprovalAuthority;
  tier: string;
  service: string | undefined;
  votes: Array<TimelineEntry & { data: VoteData }>;
  decided: (TimelineEntry & { data: VoteData }) | undefined;
}

interface VoteData {
  approved: boolean;
  by: string;
  userId?: string;
  via: "slack" | "api" | "dashboard" | "expiry";
  counted: boolean;
  decided?: boolean;
}

/**
 * Takes the answers to approval requests from every channel: checks who may answer (per tier and service),
 * counts different approvers where the tier needs two, records each answer in the incident's audit trail,
 * refuses answers to a request already answered, expires requests nobody answered, and resumes the incident
 * once. Everything it knows is in the incidents' timelines, so a restart while waiting changes nothing.
 */
export class ApprovalDesk {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly listeners: ApprovalListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly deps: ApprovalDeskDeps) {
    this.log = deps.logger.child({ module: "approvals" });
    this.now = deps.now ?? Date.now;
  }

  /** Be told of answers that counted and of expiries. */
  onAnswer(listener: ApprovalListener): void {
    this.listeners.push(listener);
  }

  /** The round an incident is in, or undefined when it does not wait for approval. */
  round(incident: Incident): ApprovalRound | undefined {
    let start = -1;
    incident.timeline.forEach((e, i) => {
      if (e.step === "approve" && e.data?.requested === true) start = i;
    });
    if (start < 0 || !incident.decision) return undefined;
    const requestedAt = incident.timeline[start]!.at;
    const tier = ACTION_RISK[incident.decision.action];
    const service = incident.alerts.find((a) => a.labels.service)?.labels.service;
    const votes = incident.timeline
      .slice(start + 1)
      .filter((e): e is TimelineEntry & { data: VoteData } => e.step === "approval" && e.data !== undefined);
    const expiryMs = this.deps.policy.approvals.expiryMinutes * 60_000;
    return {
      startIndex: start,
      requestedAt,
      expiresAt: new Date(Date.parse(requestedAt) + expiryMs).toISOString(),
      authority: approvalAuthority(this.deps.policy, this.deps.globalApprovers, tier, service),
      tier,
      service,
      votes,
      decided: votes.find((v) => v.data.decided === true),
    };
  }

  /**
   * Take one answer. Serialized per incident, in this process and across replicas sharing the store: two clicks
   * at once (at one replica or two) never both count, and never resume twice.
   */
  answer(id: string, vote: ApprovalVote): Promise<AnswerResult> {
    return this.serialized(id, () => this.deps.incidents.exclusively(id, () => this.take(id, vote)));
  }

  /** Expire requests past their time and resume decided ones a crash left waiting. Call periodically. */
  async sweep(): Promise<void> {
    const waiting = await this.deps.incidents.list({ status: "awaiting_approval", limit: 500 });
    for (const incident of waiting) {
      try {
        await this.serialized(incident.id, () =>
          this.deps.incidents.exclusively(incident.id, () => this.settle(incident.id)),
        );
      } catch (err) {
        this.log.error({ incident: incident.id, err: describeError(err) }, "approval sweep failed");
      }
    }
  }

  /** Sweep now and then every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    void this.sweep().catch(() => undefined);
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async serialized<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  /**
   * Would this answer be refused (request gone or answered, not an approver)? Records nothing; for asking
   * why before a rejection only when the rejection can count.
   */
  async precheck(
    id: string,
    vote: ApprovalVote,
  ): Promise<Extract<AnswerResult, { kind: "refused" }> | undefined> {
    const incident = await this.deps.incidents.get(id);
    if (!incident) return refuse("not_found", `no incident with id ${id}`);
    const round = this.round(incident);
    if (incident.status !== "awaiting_approval" || !round || round.decided) {
      const last = round?.decided?.data;
      return refuse(
        last ? "already_answered" : "not_awaiting_approval",
        last
          ? `incident ${id} was already ${answerWord(last)} by ${last.by}`
          : `incident ${id} is ${incident.status}, not awaiting approval`,
      );
    }
    return vote.via === "slack" ? this.checkSlackAuthority(round, vote) : undefined;
  }

  private async take(id: string, vote: ApprovalVote): Promise<AnswerResult> {
    const incident = await this.deps.incidents.get(id);
    if (!incident) return refuse("not_found", `no incident with id ${id}`);
    const round = this.round(incident);
    if (incident.status !== "awaiting_approval" || !round) {
      const last = round?.decided?.data;
      return refuse(
        last ? "already_answered" : "not_awaiting_approval",
        last
          ? `incident ${id} was already ${answerWord(last)} by ${last.by}; it is ${incident.status} now`
          : `incident ${id} is ${incident.status}, not awaiting approval`,
      );
    }
    if (round.decided) {
      return refuse(
        "already_answered",
        `incident ${id} was already ${answerWord(round.decided.data)} by ${round.decided.data.by}`,
      );
    }
    if (vote.via === "slack") {
      const refusal = await this.checkSlackAuthority(round, vote);
      if (refusal?.kind === "refused") {
        await this.record(
          id,
          vote,
          { counted: false },
          `${vote.by} (${vote.userId}) answered but ${refusal.message}: not counted`,
        );
        return refusal;
      }
    }
    const who = voterKey(vote);
    const approvals = round.votes.filter((v) => v.data.counted && v.data.approved);
    if (vote.approved && approvals.some((v) => voterKey(v.data) === who)) {
      return refuse(
        "already_voted",
        `${vote.by} already approved; ${round.authority.required} different approvers are needed`,
      );
    }
    const approvers = [...approvals.map((v) => v.data.by), ...(vote.approved ? [vote.by] : [])];
    const decided = !vote.approved || approvers.length >= round.authority.required;
    const where = { slack: "in Slack", api: "through the API", dashboard: "in the dashboard" }[vote.via];
    const what = vote.approved
      ? `${vote.by} approved ${where} (${approvers.length} of ${round.authority.required})`
      : `${vote.by} rejected ${where}${vote.comment ? `: ${vote.comment}` : ""}`;
    await this.record(id, vote, { counted: true, decided }, what);
    const result: AnswerResult = decided
      ? {
          kind: "decided",
          approved: vote.approved,
          approvers: vote.approved ? approvers : [vote.by],
          expired: false,
        }
      : { kind: "recorded", approvers, required: round.authority.required };
    if (decided) {
      this.resumeInBackground(id, {
        approved: vote.approved,
        by: vote.approved ? approvers.join(" and ") : vote.by,
        ...(vote.comment ? { comment: vote.comment } : {}),
      });
    }
    await this.tell(id, result, vote);
    return result;
  }

  private async settle(id: string): Promise<void> {
    const incident = await this.deps.incidents.get(id);
    if (!incident || incident.status !== "awaiting_approval") return;
    const round = this.round(incident);
    if (!round) return;
    if (round.decided) {
      // Decided before a crash or while the run was still pausing: resume it now.
      const d = round.decided.data;
      const approvers = round.votes.filter((v) => v.data.counted && v.data.approved).map((v) => v.data.by);
      this.resumeInBackground(id, {
        approved: d.approved,
        by: d.approved ? approvers.join(" and ") : d.by,
        ...(d.via === "expiry" ? { expired: true, comment: expiryText(this.deps.policy) } : {}),
      });
      return;
    }
    if (this.now() < Date.parse(round.expiresAt)) return;
    const comment = expiryText(this.deps.policy);
    await this.deps.incidents.appendTimeline(id, {
      step: "approval",
      message: `approval expired: ${comment}`,
      data: { approved: false, by: "aegis", via: "expiry", counted: true, decided: true } satisfies VoteData,
    });
    this.resumeInBackground(id, { approved: false, by: "aegis", expired: true, comment });
    await this.tell(id, { kind: "decided", approved: false, approvers: [], expired: true }, null);
  }

  private async checkSlackAuthority(
    round: ApprovalRound,
    vote: ApprovalVote,
  ): Promise<Extract<AnswerResult, { kind: "refused" }> | undefined> {
    const a = round.authority;
    if (noApproversConfigured(a)) {
      return refuse(
        "no_approvers_configured",
        "nobody is configured to approve: set SLACK_APPROVERS (user or group ids) or add approvers to the policy " +
          "file (approvals.byTier.<tier>.users / groups, or services.<name>.approvers)",
      );
    }
    const user = vote.userId ?? "";
    if (a.users.includes(user)) return undefined;
    for (const group of a.groups) {
      try {
        if ((await this.deps.groupMembers?.(group))?.includes(user)) return undefined;
      } catch (err) {
        this.log.warn({ group, err: describeError(err) }, "could not read a user group's members");
      }
    }
    const scope = round.service ? ` on ${round.service}` : "";
    return refuse("not_an_approver", `you are not an approver of ${round.tier}-risk actions${scope}`);
  }

  private async record(
    id: string,
    vote: ApprovalVote,
    flags: { counted: boolean; decided?: boolean },
    message: string,
  ) {
    const data: VoteData = {
      approved: vote.approved,
      by: vote.by,
      via: vote.via,
      ...(vote.userId ? { userId: vote.userId } : {}),
      ...flags,
    };
    await this.deps.incidents.appendTimeline(id, { step: "approval", message, data: { ...data } });
  }

  private resumeInBackground(id: string, answer: ApprovalAnswer): void {
    this.deps
      .resume(id, answer)
      .catch((err: unknown) =>
        this.log.error({ incident: id, err: describeError(err) }, "resuming the incident failed"),
      );
  }

  private async tell(id: string, result: AnswerResult, vote: ApprovalVote | null): Promise<void> {
    const incident = await this.deps.incidents.get(id);
    if (!incident) return;
    for (const l of this.listeners) {
      try {
        await l(incident, result, vote);
      } catch (err) {
        this.log.warn({ incident: id, err: describeError(err) }, "approval listener failed");
      }
    }
  }
}

function refuse(code: RefusalCode, message: string): Extract<AnswerResult, { kind: "refused" }> {
  return { kind: "refused", code, message };
}

function voterKey(v: { userId?: string; by: string }): string {
  return v.userId ?? `name:${v.by}`;
}

function answerWord(d: VoteData): string {
  return d.via === "expiry" ? "expired" : d.approved ? "approved" : "rejected";
}

function expiryText(policy: Policy): string {
  const m = policy.approvals.expiryMinutes;
  return `nobody approved within ${m >= 1 ? `${m} minute${m === 1 ? "" : "s"}` : `${Math.round(m * 60)} seconds`}`;
}
