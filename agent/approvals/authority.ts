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
