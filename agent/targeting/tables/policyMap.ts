import type { Policy } from "../../policy/schema.ts";
import { dockerContainer, dockerService, type Resolution, type ResolveContext } from "./table.ts";

type ServiceSettings = Policy["services"][string];

/** The workload a policy service entry maps to, or undefined when the entry has no (complete) target. */
export function targetOfEntry(ctx: ResolveContext, settings: ServiceSettings): Resolution | undefined {
  const mapped = settings.target;
  if (!mapped) return undefined;
  if (mapped.container) return dockerContainer(mapped.container);
  if (mapped.composeService) return dockerService(mapped.composeService);
  const workload = mapped.deployment ? "deployment" : mapped.statefulset ? "statefulset" : undefined;
  const name = mapped.deployment ?? mapped.statefulset;
  if (!mapped.namespace || !workload || !name) return undefined;
  const c = mapped.cluster ?? ctx.cluster;
  return {
    found: {
      kind: "k8s_workload",
      key: `k8s:${c ?? ""}:${mapped.namespace}/${workload}/${name}`,
      namespace: mapped.namespace,
      workload,
      name,
      ...(c ? { cluster: c } : {}),
    },
  };
}

/**
 * The policy entry for something the labels name: an entry keyed by one of `names`, else the first entry `matches`
 * accepts (its kafka group, queue name, database Service or health URL). Undefined when none maps to a workload.
 */
export function fromPolicy(
  ctx: ResolveContext,
  names: ReadonlyArray<string | undefined>,
  matches?: (settings: ServiceSettings) => boolean,
): Resolution | undefined {
  for (const name of names) {
    const settings = name ? ctx.policy.services[name] : undefined;
    const found = settings ? targetOfEntry(ctx, settings) : undefined;
    if (found) return found;
  }
  if (!matches) return undefined;
  for (const settings of Object.values(ctx.policy.services)) {
    if (!matches(settings)) continue;
    const found = targetOfEntry(ctx, settings);
    if (found) return found;
  }
  return undefined;
}

/** "services.<key>.target (…)": the policy entry a person adds to map what the labels name. */
export function policyEntry(key: string, extra = ""): string {
  return `services.${key}.target (namespace plus deployment/statefulset, or container/composeService)${extra}`;
}
