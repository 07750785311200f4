import type { Policy } from "../../policy/schema.ts";
import { fromPolicy, policyEntry } from "./policyMap.ts";
import type { Labels, Resolution, ResolveContext } from "./table.ts";

/** The labels name the workload outright: a queue or group label beside them only says what it consumes. */
export function namesWorkload(l: Labels): boolean {
  return Boolean(l.namespace && (l.deployment || l.statefulset || l.daemonset));
}

/**
 * Something that is not a workload (a consumer group, a queue, a database), mapped through the policy: the entry
 * keyed by one of `names` or the one `matches` accepts. With no entry: defer to explicit workload labels when the
 * alert has them, else escalate naming the entry that would map it.
 */
export function throughPolicy(
  l: Labels,
  ctx: ResolveContext,
  what: string,
  names: ReadonlyArray<string | undefined>,
  matches: (s: Policy["services"][string]) => boolean,
  extra = "",
): Resolution | undefined {
  const found = fromPolicy(ctx, names, matches);
  if (found) return found;
  if (namesWorkload(l)) return undefined;
  const key = names.find((n): n is string => Boolean(n)) ?? "<name>";
  return { needsPolicy: { what, entry: policyEntry(key, extra) } };
}
