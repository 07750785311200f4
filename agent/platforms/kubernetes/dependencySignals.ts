import type { Signal } from "../../../core/types.ts";
import type { PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import { signal } from "../../signals.ts";

/** A caller's log line about a call to another service that never got an answer (timeouts, resets, retransmits). */
const CALL_LOST =
  /\bcalls? to "?([\w.-]*\w)"?(?::\d+)?(?![\w.-]).{0,40}\b(timed out|timeout|retransmi\w*|connection reset|no route to host|i\/o timeout)/i;
/**
 * A log line about a connection to a named service that was refused or found nothing to connect to (nothing listens:
 * the service is down or has no endpoints), as Go, Node, Python and JDBC clients word it.
 */
const CONNECT_REFUSED =
  /\b(?:cannot|can't|could not|couldn't|failed to|unable to|error) (?:connect(?:ing)?|reach)(?: to)? "?([a-z0-9][\w.-]*\w)"?(?::\d+)?(?![\w.-]).{0,100}\b(?:connection refused|ECONNREFUSED|no endpoints available|no healthy upstream)/i;
/** A caller's log line about a call that the other service answered with a server error. */
const CALL_FAILED =
  /\bcalls? to "?([\w.-]*\w)"?(?::\d+)?(?![\w.-]).{0,20}\bfailed\b.{0,20}\b(HTTP|status) 5\d\d\b/i;
/** A caller's log line about a dependency that answers, but slowly (a database's slow queries, a slow call). */
const DEPENDENCY_SLOW = [
  /\bslow (?:query|queries|responses?|calls?) (?:on|to|from|against) "?([\w.-]+)/i,
  /\bcalls? to "?([\w.-]*\w)"?(?::\d+)?(?![\w.-]).{0,30}\b(?:took (?:\d{4,}\s?ms|\d+(?:\.\d+)?\s?s)\b|(?:is |was )?slow\b)/i,
];
/** Lines naming the same slow dependency before it counts: one slow query is not a slow database. */
const DEPENDENCY_SLOW_LINES = 3;
/** A server's own log about its clients' connections stalling: what a NIC that drops packets looks like from inside. */
const NIC_LOG = /segments? retransmitted|retransmits? to clients|client connection reset by peer/i;

/** The service a DNS name points at: `checkout.shop.svc.cluster.local` → `checkout`. */
const serviceOf = (host: string) => host.split(".")[0]!.toLowerCase();

function mostNamed(lines: string[], re: RegExp): { name: string; line: string; count: number } | undefined {
  const byName = new Map<string, { line: string; count: number }>();
  for (const l of lines) {
    const m = re.exec(l);
    if (!m) continue;
    const name = serviceOf(m[1]!);
    const e = byName.get(name) ?? { line: l, count: 0 };
    e.count++;
    byName.set(name, e);
  }
  const best = [...byName.entries()].sort((a, b) => b[1].count - a[1].count)[0];
  return best ? { name: best[0], ...best[1] } : undefined;
}

/**
 * What a caller's logs say about the services it calls. Pure.
 * - `callee_unreachable`: calls to one service time out or reset (the network between them, or the callee's node).
 * - `callee_errors`: that service answers the calls with server errors (its own bug, not the network).
 * - `dependency_slow`: a dependency (a database, another service) answers, but slowly, in several lines.
 * - `dependency_down`: connections to one service are refused (nothing listens there): the service is down.
 */
export function callerSignals(logs: Record<string, string[]>): Signal[] {
  const lines = Object.values(logs).flat();
  const out: Signal[] = [];
  const lost = mostNamed(lines, CALL_LOST);
  const failed = mostNamed(lines, CALL_FAILED);
  if (lost) {
    out.push(
      signal(
        "callee_unreachable",
        lost.name,
        `${lost.count} log line(s) of calls to ${lost.name} that got no answer, e.g. "${lost.line.slice(0, 140)}"`,
      ),
    );
  }
  const slow = DEPENDENCY_SLOW.map((re) => mostNamed(lines, re))
    .filter((x) => x !== undefined)
    .sort((a, b) => b.count - a.count)[0];
  if (slow && slow.count >= DEPENDENCY_SLOW_LINES) {
    out.push(
      signal(
        "dependency_slow",
        slow.name,
        `${slow.count} log line(s) of calls or queries to ${slow.name} that were slow, e.g. "${slow.line.slice(0, 140)}": the latency comes from ${slow.name}, not from this service`,
      ),
    );
  }
  const refused = mostNamed(lines, CONNECT_REFUSED);
  if (refused && !lost)
    out.push(
      signal(
        "dependency_down",
        refused.name,
        `${refused.count} log line(s) of connections to ${refused.name} refused (nothing listens there), e.g. "${refused.line.slice(0, 140)}"`,
      ),
    );
  if (failed) {
    out.push(
      signal(
        "callee_errors",
        failed.name,
        `${failed.count} log line(s) of calls that ${failed.name} answered with a server error, e.g. "${failed.line.slice(0, 140)}"`,
      ),
    );
  }
  return out;
}

/**
 * Whether the callee's pods on one node (and only there) report their clients' connections stalling: that
 * node's network drops packets, and moving the pod off it heals the path. Pure.
 */
export function calleeNodeSignals(
  callee: string,
  pods: PodSnapshot[],
  logs: Record<string, string[]>,
): Signal[] {
  const found = lossyNode(pods, logs);
  if (!found) return [];
  return [
    signal(
      "callee_node_lossy",
      found.node,
      `only ${callee}'s pod(s) on ${found.node} (${found.pods.join(", ")}) see their connections stall, e.g. "${found.line.slice(0, 120)}"; its pods elsewhere do not`,
    ),
  ];
}

/** The same, for the workload's own pods: its pod(s) on one node see their clients' connections stall. Pure. */
export function ownNodeSignals(pods: PodSnapshot[], logs: Record<string, string[]>): Signal[] {
  const found = lossyNode(pods, logs);
  if (!found) return [];
  return [
    signal(
      "node_network_lossy",
      found.node,
      `only the pod(s) on ${found.node} (${found.pods.join(", ")}) see their clients' connections stall, e.g. "${found.line.slice(0, 120)}"; the others do not`,
    ),
  ];
}

function lossyNode(
  pods: PodSnapshot[],
  logs: Record<string, string[]>,
): { node: string; pods: string[]; line: string } | undefined {
  const read = pods.filter((p) => logs[p.name] !== undefined && p.node);
  const lossy = read.filter((p) => logs[p.name]!.some((l) => NIC_LOG.test(l)));
  const nodes = [...new Set(lossy.map((p) => p.node))];
  const clean = read.some((p) => p.node !== nodes[0] && !lossy.includes(p));
  if (nodes.length !== 1 || !nodes[0] || !clean) return undefined;
  const line = logs[lossy[0]!.name]!.find((l) => NIC_LOG.test(l)) ?? "";
  return { node: nodes[0], pods: lossy.map((p) => p.name), line };
}
