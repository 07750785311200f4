import type { RiskTier } from "../../core/catalog.ts";
import type { ApproverSet, Policy } from "../policy/schema.ts";

/** Everyone who may answer one approval request, and how many different approvals it needs. */
export interface ApprovalAuthority {
  users: string[];
  groups: string[];
  required: 1 | 2;
}

/**
 * Who may approve an action of `tier` on `service`: the process-wide approvers (SLACK_APPROVERS, user or group
 * ids), the policy's approvers of the tier, and the service's own approvers for that tier. The policy's
 * two-approver tiers need two different people.
 */
export function approvalAuthority(
  policy: Policy,
  globalApprovers: readonly string[],
  tier: RiskTier,
  service: string | undefined,
): ApprovalAuthority {
  const sets: ApproverSet[] = [
    {
      users: globalApprovers.filter((id) => !id.startsWith("S")),
      groups: globalApprovers.filter((id) => id.startsWith("S")),
    },
  ];
  const byTier = policy.approvals.byTier[tier];
  if (byTier) sets.push(byTier);
  const own = service ? policy.services[service]?.approvers : undefined;
  if (own && (!own.tiers || own.tiers.includes(tier))) sets.push(own);
  return {
    users: [...new Set(sets.flatMap((s) => s.users))],
    groups: [...new Set(sets.flatMap((s) => s.groups))],
    required: policy.approvals.twoApprovers.includes(tier) ? 2 : 1,
  };
}

/** True when nobody at all is configured to approve (then every Slack click is refused, with how to fix it). */
export function noApproversConfigured(a: ApprovalAuthority): boolean {
  return a.users.length === 0 && a.groups.length === 0;
}

/**
 * Every approver named anywhere for a service (any tier): who may change the service's mode or silence it.
 * Without a service: every approver named anywhere.
 */
export function anyApprover(
  policy: Policy,
  globalApprovers: readonly string[],
  service?: string,
): ApproverSet {
  const sets: ApproverSet[] = [
    {
      users: globalApprovers.filter((id) => !id.startsWith("S")),
      groups: globalApprovers.filter((id) => id.startsWith("S")),
    },
    ...Object.values(policy.approvals.byTier).filter((s): s is ApproverSet => s !== undefined),
  ];
  const services = service ? [policy.services[service]] : Object.values(policy.services);
  for (const s of services) if (s?.approvers) sets.push(s.approvers);
  return {
    users: [...new Set(sets.flatMap((s) => s.users))],
    groups: [...new Set(sets.flatMap((s) => s.groups))],
  };
}

/** True when the user is named in the set, directly or through a user group. */
export async function isInSet(
  set: ApproverSet,
  userId: string,
  groupMembers: ((groupId: string) => Promise<string[]>) | undefined,
): Promise<boolean> {
  if (set.users.includes(userId)) return true;
  for (const g of set.groups) {
    const members = await groupMembers?.(g).catch((): string[] => []);
    if (members?.includes(userId)) return true;
  }
  return false;
}
