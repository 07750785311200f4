import type { V1NetworkPolicy } from "@kubernetes/client-node";
import type { Signal } from "../../../core/types.ts";
import { signal } from "../../signals.ts";
import { selects } from "../../../tools/kubernetes/labelSelector.ts";

/**
 * A name lookup that got no answer at all (the query was dropped on the way), as resolvers word it: Go's
 * `lookup X on 10.96.0.10:53: read udp ...: i/o timeout`, glibc's EAI_AGAIN / "Temporary failure in name
 * resolution", nslookup/dig's "no servers could be reached". An answer that says "no such host" (NXDOMAIN) is
 * not one: the DNS server was reached.
 */
const LOOKUP_UNANSWERED =
  /lookup \S+ on [\d.:[\]a-f]+:53: .*(?:i\/o timeout|timed out)|dial udp [\d.:[\]a-f]+:53: .*(?:i\/o timeout|timed out)|EAI_AGAIN|Temporary failure in name resolution|no servers could be reached/i;

/** The log lines of one pod that show lookups left unanswered. */
export function unansweredLookups(lines: readonly string[]): string[] {
  return lines.filter((l) => LOOKUP_UNANSWERED.test(l));
}

/** Whether a policy restricts the egress of the pods it selects (policyTypes, or an egress section when unset). */
function restrictsEgress(p: V1NetworkPolicy): boolean {
  const types = p.spec?.policyTypes;
  return types ? types.includes("Egress") : p.spec?.egress !== undefined;
}

/**
 * Whether an egress rule may let a DNS query out: it names no ports (all ports) or port 53 (or a named port,
 * which this reader cannot resolve and so does not blame). Its destinations are not judged: a rule that names
 * any destination may be the one that reaches the cluster's DNS, so the policy is blamed only when no rule
 * could.
 */
function mayAllowDns(rule: NonNullable<NonNullable<V1NetworkPolicy["spec"]>["egress"]>[number]): boolean {
  const ports = rule.ports ?? [];
  if (ports.length === 0) return true;
  return ports.some((p) => p.port === undefined || typeof p.port === "string" || p.port === 53);
}

/**
 * The pod's name lookups go unanswered and every egress NetworkPolicy that selects it allows no DNS: the
 * policy drops the queries (a default-deny egress with no rule for the cluster DNS). Pure.
 * - `egress_denied_by_policy` (value: the policy's name): names the policy, the pod and a log line. No catalog
 *   action edits a NetworkPolicy, and a restarted or re-created pod meets the same policy: a person fixes it.
 * - Lookups that fail with an answer (NXDOMAIN), no policy selecting the pod, or a rule that may allow port 53
 *   (then the DNS service itself, not the policy, is the suspect) → nothing.
 */
export function egressPolicySignals(input: {
  pod: string;
  labels: Record<string, string>;
  lines: readonly string[];
  policies: readonly V1NetworkPolicy[];
}): Signal[] {
  const unanswered = unansweredLookups(input.lines);
  // One unanswered lookup is enough here: the policy, not the log, is the evidence that no lookup can pass.
  if (unanswered.length === 0) return [];
  const selecting = input.policies
    .filter((p) => restrictsEgress(p) && selects(p.spec?.podSelector, input.labels))
    .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  if (selecting.length === 0) return [];
  if (selecting.some((p) => (p.spec?.egress ?? []).some(mayAllowDns))) return [];
  const names = selecting.map((p) => p.metadata?.name ?? "?");
  return [
    signal(
      "egress_denied_by_policy",
      names[0]!,
      `pod ${input.pod}'s name lookups get no answer ("${unanswered.at(-1)!.slice(0, 160)}") and the egress NetworkPolicy ${names.join(", ")} selecting it allows no DNS (port 53): the policy drops the queries; no catalog action edits a NetworkPolicy, and a restarted pod meets the same policy`,
    ),
  ];
}
