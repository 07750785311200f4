import type { Target } from "../../core/types.ts";
import type { Policy } from "../policy/schema.ts";
import { LABEL_TABLES } from "./tables/index.ts";
import type { LabelTable, Labels, Resolution } from "./tables/table.ts";

/** Labels that say nothing about the target; left out of the "labels carried" an escalation lists. */
const NOISE = new Set(["alertname", "severity", "prometheus", "alertstate"]);

/**
 * Map an alert's labels to what it is about (DESIGN.md §3 "From alert to target"), through one table per label
 * convention (agent/targeting/tables). Pure: it reads labels and the policy's service map, never a live system, so
 * the webhook stays fast; triage then checks that the target exists and pins a reference (a Service, an HPA, a node
 * known by its address) to the workload or node behind it.
 */
export function resolveTarget(
  labels: Record<string, string>,
  policy: Policy,
  tables: readonly LabelTable[] = LABEL_TABLES,
): Target {
  const present: Labels = Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ""));
  const ctx = { policy, cluster: present.cluster ?? present.region };
  let first: { table: string; res: Exclude<Resolution, { found: Target }> } | undefined;
  for (const table of tables) {
    for (const row of table.rows) {
      if (!row.needs.every((n) => present[n] !== undefined)) continue;
      if (row.when && !row.when(present)) continue;
      const res = row.resolve(present, ctx);
      if (!res) continue;
      if ("found" in res) return res.found;
      first ??= { table: table.name, res };
    }
    // A convention that recognised the labels but cannot map them decides: a later table would only find the
    // exporter's own pod or instance.
    if (first) break;
  }
  const carried = carriedText(present);
  const reason = first
    ? "needsPolicy" in first.res
      ? `${first.res.needsPolicy.what} is not in the policy's service map (${first.table} labels): add ${first.res.needsPolicy.entry}; labels carried: ${carried}`
      : `${first.res.notActionable}; labels carried: ${carried}`
    : `no label convention names a workload in these labels: ${carried}; expected e.g. namespace plus pod/deployment/statefulset/daemonset, node, container, compose_service, or a service in the policy's service map (services.<name>.target)`;
  // Unresolved alerts still get an incident (escalated), keyed by service or alert so they group sensibly.
  return {
    kind: "unresolved",
    key: `unresolved:${present.service ?? present.alertname ?? "unknown"}`,
    reason,
  };
}

function carriedText(labels: Labels): string {
  const shown = Object.entries(labels).filter(([k]) => !NOISE.has(k));
  return shown.length === 0 ? "{}" : `{${shown.map(([k, v]) => `${k}="${v}"`).join(", ")}}`;
}
