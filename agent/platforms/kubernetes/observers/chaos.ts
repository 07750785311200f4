import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import type { Signal } from "../../../../core/types.ts";
import { kubeStatus } from "../../../../tools/kubernetes/kubeErrors.ts";
import type { Workload } from "../actions/action.ts";
import { CHAOS_PLURALS, chaosSignals, type ChaosObject } from "../chaosExperiments.ts";
import type { WorkloadObservations } from "../signals.ts";

/** How long a cluster without Chaos Mesh (or without the right to read it) is not asked again. */
const ABSENT_FOR_MS = 10 * 60_000;
const absentUntil = new WeakMap<object, number>();

/** `a=b,c=d` (a Deployment's selector) as labels every pod of it carries. */
function labelsOf(selector: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (selector ?? "")
      .split(",")
      .map((kv) => kv.split("="))
      .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== ""),
  );
}

/**
 * Chaos Mesh experiments and Schedules in the whole cluster (they often live in a namespace of their own), judged
 * by chaosSignals against the workload's pods. A cluster without Chaos Mesh answers 404 and is not asked again for
 * ten minutes; nothing is added to the evidence then.
 */
export async function observeChaos(
  deps: ObserverDeps,
  t: Workload,
  obs: WorkloadObservations,
  errors: string[],
): Promise<Signal[]> {
  const custom = deps.kube.custom;
  const now = Date.now();
  if ((absentUntil.get(custom) ?? 0) > now) return [];
  const lists = await Promise.all(
    CHAOS_PLURALS.map((plural) =>
      custom
        .listClusterCustomObject({ group: "chaos-mesh.org", version: "v1alpha1", plural })
        .then((l) =>
          ((l as { items?: ChaosObject[] }).items ?? []).map((o) => ({ kind: kindOf(plural), ...o })),
        )
        .catch((err: unknown) => {
          const status = kubeStatus(err);
          if (status === 404 || status === 403) return null;
          errors.push(`chaos experiments (${plural}): ${describeError(err)}`);
          return [];
        }),
    ),
  );
  if (lists.every((l) => l === null)) {
    absentUntil.set(custom, now + ABSENT_FOR_MS);
    return [];
  }
  const objects = lists.flatMap((l) => l ?? []);
  if (objects.length === 0) return [];
  return chaosSignals(
    { namespace: t.namespace, pods: obs.pods.map((p) => p.name), labels: labelsOf(obs.rollout?.selector) },
    objects,
  );
}

const KINDS: Record<string, string> = {
  podchaos: "PodChaos",
  networkchaos: "NetworkChaos",
  httpchaos: "HTTPChaos",
  iochaos: "IOChaos",
  stresschaos: "StressChaos",
  dnschaos: "DNSChaos",
  timechaos: "TimeChaos",
  schedules: "Schedule",
};
const kindOf = (plural: string): string => KINDS[plural] ?? plural;
