import { ACTION_RISK, type ActionId } from "../../core/catalog.ts";
import type { Target } from "../../core/types.ts";
import type { Policy, PolicyMode } from "./schema.ts";

const STRICTNESS: Record<PolicyMode, number> = { advise: 0, approve: 1, auto: 2 };

/**
 * The mode that applies to one action on one target: the service's or namespace's mode (else the
 * policy's, else AEGIS_MODE), tightened by the risk tier's mode. A tier can only make it stricter.
 */
export function effectiveMode(
  policy: Policy,
  processMode: PolicyMode,
  action: ActionId,
  target: Target,
  service: string | undefined,
): PolicyMode {
  const namespace = target.kind === "k8s_workload" ? target.namespace : undefined;
  const base =
    (service ? policy.services[service]?.mode : undefined) ??
    (namespace ? policy.modes.byNamespace[namespace] : undefined) ??
    policy.mode ??
    processMode;
  const tier = policy.modes.byTier[ACTION_RISK[action]];
  return tier !== undefined && STRICTNESS[tier] < STRICTNESS[base] ? tier : base;
}
