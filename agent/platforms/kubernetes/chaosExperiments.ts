import type { V1LabelSelector } from "@kubernetes/client-node";
import type { Signal } from "../../../core/types.ts";
import { signal } from "../../signals.ts";
import { selects } from "../../../tools/kubernetes/labelSelector.ts";

/** Chaos Mesh's experiment kinds (chaos-mesh.org/v1alpha1 plurals) and the Schedule that starts them on a cron. */
export const CHAOS_PLURALS = [
  "podchaos",
  "networkchaos",
  "httpchaos",
  "iochaos",
  "stresschaos",
  "dnschaos",
  "timechaos",
  "schedules",
] as const;

/** Chaos Mesh's selector (docs: "Define the Scope of Chaos Experiments"). */
interface ChaosSelector {
  namespaces?: string[];
  labelSelectors?: Record<string, string>;
  expressionSelectors?: V1LabelSelector["matchExpressions"];
  pods?: Record<string, string[]>;
}

/** An experiment or Schedule as the API returns it (only the fields read here). */
export interface ChaosObject {
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind?: string; name?: string }>;
  };
  spec?: Record<string, unknown> & { selector?: ChaosSelector; type?: string };
  status?: {
    experiment?: { desiredPhase?: string; containerRecords?: Array<{ id?: string; phase?: string }> };
  };
}

const PAUSE = "experiment.chaos-mesh.org/pause";
/** The field of a Schedule's spec that holds the experiment template of each `type` (Chaos Mesh's ScheduleItem). */
const SCHEDULE_FIELD: Record<string, string> = {
  PodChaos: "podChaos",
  NetworkChaos: "networkChaos",
  HTTPChaos: "httpChaos",
  IOChaos: "ioChaos",
  StressChaos: "stressChaos",
  DNSChaos: "dnsChaos",
  TimeChaos: "timeChaos",
};

/** `ns/kind/name` of the object people would delete or pause: the Schedule behind an experiment when there is one. */
function refOf(o: ChaosObject): string {
  const ns = o.metadata?.namespace ?? "default";
  const schedule = o.metadata?.ownerReferences?.find((r) => r.kind === "Schedule")?.name;
  if (schedule) return `${ns}/schedule/${schedule}`;
  return `${ns}/${(o.kind ?? "chaos").toLowerCase()}/${o.metadata?.name ?? "?"}`;
}

/** The selector an object acts with: an experiment's own, or the one in a Schedule's experiment template. */
function selectorOf(o: ChaosObject): ChaosSelector | undefined {
  if (o.kind !== "Schedule") return o.spec?.selector;
  const type = o.spec?.type;
  if (!type) return undefined;
  const template = o.spec?.[SCHEDULE_FIELD[type] ?? ""] as { selector?: ChaosSelector } | undefined;
  return template?.selector;
}

/** Whether an object is acting now: not paused, and (for an experiment) not stopped. */
function active(o: ChaosObject): boolean {
  if (o.metadata?.annotations?.[PAUSE] === "true") return false;
  return o.kind === "Schedule" || o.status?.experiment?.desiredPhase !== "Stop";
}

/** The workload as the chaos check needs it: its namespace, its pods' names and the labels every pod carries. */
export interface ChaosSubject {
  namespace: string;
  pods: readonly string[];
  labels: Readonly<Record<string, string>>;
}

/**
 * Chaos Mesh experiments acting on this workload's pods (`chaos_injected`: the symptoms are injected on purpose)
 * or on other pods of its namespace (`chaos_nearby`: a service it may call is being broken on purpose). Read from
 * the injected pods an experiment records, and from the selector of experiments and Schedules. Pure.
 */
export function chaosSignals(subject: ChaosSubject, objects: readonly ChaosObject[]): Signal[] {
  const own: string[] = [];
  const nearby: string[] = [];
  for (const o of objects.filter(active)) {
    const injected = (o.status?.experiment?.containerRecords ?? [])
      .filter((r) => r.phase !== "NotInjected")
      .map((r) => (r.id ?? "").split("/"))
      .filter(([ns]) => ns === subject.namespace)
      .map(([, pod]) => pod ?? "");
    const sel = selectorOf(o);
    const namespaces = sel?.namespaces ?? [o.metadata?.namespace ?? ""];
    const inNamespace = namespaces.includes(subject.namespace);
    const listed = sel?.pods?.[subject.namespace];
    const bySelector =
      inNamespace &&
      sel !== undefined &&
      (listed
        ? listed.some((p) => subject.pods.includes(p))
        : selects(
            { matchLabels: sel.labelSelectors ?? {}, matchExpressions: sel.expressionSelectors ?? [] },
            { ...subject.labels },
          ));
    if (bySelector || injected.some((p) => subject.pods.includes(p))) own.push(refOf(o));
    else if (inNamespace || injected.length > 0) nearby.push(refOf(o));
  }
  const out: Signal[] = [];
  if (own.length > 0)
    out.push(
      signal(
        "chaos_injected",
        own[0]!,
        `Chaos Mesh is breaking this workload's pods on purpose: ${[...new Set(own)].join(", ")} (delete or pause it to end the experiment)`,
      ),
    );
  else if (nearby.length > 0)
    out.push(
      signal(
        "chaos_nearby",
        nearby[0]!,
        `Chaos Mesh is breaking other pods of namespace ${subject.namespace} on purpose: ${[...new Set(nearby)].join(", ")}`,
      ),
    );
  return out;
}
