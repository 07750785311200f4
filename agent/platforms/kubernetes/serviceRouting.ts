import type { V1Endpoints, V1PodTemplateSpec, V1Service } from "@kubernetes/client-node";
import type { Signal } from "../../../core/types.ts";
import { signal } from "../../signals.ts";

/** Ready endpoint addresses of a Service (all subsets). */
export const readyAddresses = (ep: V1Endpoints | undefined): number =>
  (ep?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);

/**
 * A Service meant for this workload that routes nowhere while the workload's pods run: its selector differs from the
 * pods' labels and it has no ready endpoints, or it selects them but its targetPort is no port their containers declare
 * (checked only when they declare ports). Meant for it: named like the workload, or sharing at least one selector
 * label with its pods while selecting no pod at all. No catalog action edits a Service: the signal carries the diff for a person. Pure.
 */
export function serviceRoutingSignals(input: {
  workload: string;
  template: V1PodTemplateSpec | undefined;
  readyPods: number;
  services: ReadonlyArray<{ service: V1Service; endpoints: V1Endpoints | undefined }>;
}): Signal[] {
  const labels = input.template?.metadata?.labels ?? {};
  if (input.readyPods === 0 || Object.keys(labels).length === 0) return [];
  const containers = input.template?.spec?.containers ?? [];
  const ports = containers.flatMap((c) => c.ports ?? []);
  const out: Signal[] = [];
  for (const { service, endpoints } of input.services) {
    const name = service.metadata?.name ?? "";
    const selector = service.spec?.selector ?? {};
    const entries = Object.entries(selector);
    if (entries.length === 0) continue;
    const differing = entries.filter(([k, v]) => labels[k] !== v);
    const shared = entries.length - differing.length;
    // Another workload's Service that shares a label (app=shop) is not this one's, unless it selects no pod at all.
    const selectsNothing = (endpoints?.subsets ?? []).every(
      (x) => (x.addresses?.length ?? 0) + (x.notReadyAddresses?.length ?? 0) === 0,
    );
    const meant = name === input.workload || (shared > 0 && selectsNothing);
    if (differing.length > 0) {
      if (!meant || readyAddresses(endpoints) > 0) continue;
      const diff = differing
        .map(
          ([k, v]) =>
            `${k}=${v} (the pods carry ${labels[k] === undefined ? `no ${k}` : `${k}=${labels[k]}`})`,
        )
        .join(", ");
      out.push(
        signal(
          "service_misrouted",
          name,
          `Service ${name} has no endpoints while ${input.readyPods} pod(s) of ${input.workload} are Ready: its selector wants ${diff}; fix the Service's selector (or the pods' labels): no catalog action edits a Service`,
        ),
      );
      continue;
    }
    // The selector matches: a targetPort no container declares sends the traffic where nothing listens (a named one
    // that resolves nowhere leaves the endpoints empty; a number still lists the pods, at a port they do not serve).
    if (ports.length === 0) continue;
    const wrong = (service.spec?.ports ?? []).filter((p) => {
      const tp = p.targetPort ?? p.port;
      return typeof tp === "number"
        ? !ports.some((c) => c.containerPort === tp)
        : !ports.some((c) => c.name === tp || String(c.containerPort) === tp);
    });
    if (wrong.length > 0) {
      const declared = ports.map((c) => `${c.containerPort}${c.name ? ` (${c.name})` : ""}`).join(", ");
      out.push(
        signal(
          "service_misrouted",
          name,
          `Service ${name} selects the pods of ${input.workload}, but its targetPort ${wrong.map((p) => String(p.targetPort ?? p.port)).join(", ")} is no port their containers declare (${declared}); fix the Service's targetPort: no catalog action edits a Service`,
        ),
      );
    }
  }
  return out;
}
