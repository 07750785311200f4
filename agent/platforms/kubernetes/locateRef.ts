import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { serviceRoutingSignals } from "./serviceRouting.ts";
import type { Target } from "../../../core/types.ts";
import type { KubeClients } from "../../../tools/kubernetes/client.ts";
import { kubeStatus } from "../../../tools/kubernetes/kubeErrors.ts";

type Ref = Extract<Target, { kind: "k8s_ref" }>;
type Pinned = { ok: true; target: Target } | { ok: false; reason: string };

/**
 * Pin a reference an alert's labels made (agent/targeting/tables) to the workload or node it stands for, by reading the
 * cluster: a node by name or address, an HPA by its scale target, a Service by the owner of the pods it selects, a
 * PVC by the owner of the pod that mounts it, a mesh workload by trying each workload kind.
 */
export async function pinRef(kube: KubeClients, ref: Ref): Promise<Pinned> {
  const cluster = ref.cluster;
  const withCluster = <T extends object>(t: T): T => (cluster ? { ...t, cluster } : t);
  const workload = (
    namespace: string,
    kind: "deployment" | "statefulset" | "daemonset",
    name: string,
  ): Pinned => ({
    ok: true,
    target: withCluster({
      kind: "k8s_workload" as const,
      key: `k8s:${cluster ?? ""}:${namespace}/${kind}/${name}`,
      namespace,
      workload: kind,
      name,
    }),
  });
  const ns = ref.namespace ?? "";
  switch (ref.resource) {
    case "node": {
      const nodes = (await kube.core.listNode()).items;
      const node = nodes.find(
        (n) =>
          n.metadata?.name === ref.name ||
          (n.status?.addresses ?? []).some((a) => a.address === ref.name) ||
          n.metadata?.labels?.["kubernetes.io/hostname"] === ref.name,
      );
      const name = node?.metadata?.name;
      if (!name)
        return { ok: false, reason: `no node has the name or address ${ref.name} (from ${ref.via})` };
      return {
        ok: true,
        target: withCluster({ kind: "k8s_node" as const, key: `k8s:${cluster ?? ""}:node/${name}`, name }),
      };
    }
    case "pod": {
      // Pod names are unique only within a namespace: with none given, every namespace is searched.
      const pods = (
        await kube.core.listPodForAllNamespaces({ fieldSelector: `metadata.name=${ref.name}` })
      ).items.filter((p) => p.metadata?.name === ref.name && p.metadata.namespace);
      const where = pods.map((p) => p.metadata!.namespace!);
      if (where.length === 0)
        return { ok: false, reason: `no pod ${ref.name} in any namespace (from ${ref.via})` };
      if (where.length > 1)
        return {
          ok: false,
          reason: `pod ${ref.name} exists in several namespaces (${where.join(", ")}) and the alert names none (${ref.via}); add the namespace to the rule's by (...) clause`,
        };
      const namespace = where[0]!;
      return {
        ok: true,
        target: withCluster({
          kind: "k8s_workload" as const,
          key: `k8s:${cluster ?? ""}:${namespace}/pod/${ref.name}`,
          namespace,
          workload: "pod" as const,
          name: ref.name,
        }),
      };
    }
    case "replicaset": {
      const rs = await kube.apps.readNamespacedReplicaSet({ name: ref.name, namespace: ns });
      const d = rs.metadata?.ownerReferences?.find((o) => o.kind === "Deployment");
      if (!d) return { ok: false, reason: `ReplicaSet ${ns}/${ref.name} is not managed by a Deployment` };
      return workload(ns, "deployment", d.name);
    }
    case "horizontalpodautoscaler": {
      const hpa = await kube.autoscaling.readNamespacedHorizontalPodAutoscaler({
        name: ref.name,
        namespace: ns,
      });
      const to = hpa.spec?.scaleTargetRef;
      const kind =
        to?.kind === "Deployment" ? "deployment" : to?.kind === "StatefulSet" ? "statefulset" : undefined;
      if (!to || !kind)
        return { ok: false, reason: `HPA ${ns}/${ref.name} scales a ${to?.kind ?? "missing"} target` };
      return workload(ns, kind, to.name);
    }
    case "service": {
      const svc = await kube.core.readNamespacedService({ name: ref.name, namespace: ns });
      const selector = svc.spec?.selector;
      if (!selector || Object.keys(selector).length === 0)
        return { ok: false, reason: `Service ${ns}/${ref.name} has no selector: it selects no workload` };
      const labelSelector = Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      const pods = (await kube.core.listNamespacedPod({ namespace: ns, labelSelector })).items;
      if (pods.length === 0) {
        // A selector no pod matches: say which workload it was likely meant for, and how it differs.
        const diff = await selectorDiff(kube, ns, svc);
        if (diff) return { ok: false, reason: diff };
        // No pod to follow (a Deployment scaled to zero): the workload whose pod template the selector matches.
        const owner = await selectedWorkload(kube, ns, selector);
        if (owner) return workload(ns, owner.kind, owner.name);
      }
      return ownerOfPods(kube, ns, pods, `Service ${ns}/${ref.name} (selector ${labelSelector})`, workload);
    }
    case "persistentvolumeclaim": {
      const pods = (await kube.core.listNamespacedPod({ namespace: ns })).items.filter((p) =>
        (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === ref.name),
      );
      return ownerOfPods(kube, ns, pods, `PersistentVolumeClaim ${ns}/${ref.name}`, workload);
    }
    case "workload": {
      const reads = [
        ["deployment", () => kube.apps.readNamespacedDeployment({ name: ref.name, namespace: ns })],
        ["statefulset", () => kube.apps.readNamespacedStatefulSet({ name: ref.name, namespace: ns })],
        ["daemonset", () => kube.apps.readNamespacedDaemonSet({ name: ref.name, namespace: ns })],
      ] as const;
      for (const [kind, read] of reads) {
        try {
          await read();
          return workload(ns, kind, ref.name);
        } catch (err) {
          if (kubeStatus(err) !== 404) throw err;
        }
      }
      return {
        ok: false,
        reason: `no Deployment, StatefulSet or DaemonSet ${ns}/${ref.name} (from ${ref.via})`,
      };
    }
  }
}

/**
 * The one Deployment whose pod template carries every label of the selector, whatever its replica count (the kind
 * catalog actions scale; AegisOps's role may only `get` StatefulSets); undefined when none or several do (then the
 * caller says there is no running pod to follow).
 */
async function selectedWorkload(
  kube: KubeClients,
  ns: string,
  selector: Record<string, string>,
): Promise<{ kind: "deployment"; name: string } | undefined> {
  const selects = (labels: Record<string, string> | undefined) =>
    Object.entries(selector).every(([k, v]) => labels?.[k] === v);
  const found = (await kube.apps.listNamespacedDeployment({ namespace: ns })).items
    .filter((d) => d.metadata?.name && selects(d.spec?.template.metadata?.labels))
    .map((d) => ({ kind: "deployment" as const, name: d.metadata!.name! }));
  return found.length === 1 ? found[0] : undefined;
}

/** The diff between a Service's selector and the running Deployment it was likely meant for, in words. */
async function selectorDiff(kube: KubeClients, ns: string, svc: V1Service): Promise<string | undefined> {
  const deployments = (await kube.apps.listNamespacedDeployment({ namespace: ns })).items;
  for (const d of deployments) {
    const found = serviceRoutingSignals({
      workload: d.metadata?.name ?? "",
      template: d.spec?.template,
      readyPods: d.status?.readyReplicas ?? 0,
      services: [{ service: svc, endpoints: undefined }],
    })[0];
    if (found) return found.detail;
  }
  return undefined;
}

/** The one workload that owns these pods (through its ReplicaSet for a Deployment). */
async function ownerOfPods(
  kube: KubeClients,
  ns: string,
  pods: V1Pod[],
  what: string,
  workload: (ns: string, kind: "deployment" | "statefulset" | "daemonset", name: string) => Pinned,
): Promise<Pinned> {
  const owners = new Set<string>();
  for (const pod of pods.slice(0, 20)) {
    const ref =
      pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
    if (!ref) continue;
    if (ref.kind === "ReplicaSet") {
      const rs = await kube.apps.readNamespacedReplicaSet({ name: ref.name, namespace: ns });
      const d = rs.metadata?.ownerReferences?.find((o) => o.kind === "Deployment");
      if (d) owners.add(`deployment/${d.name}`);
    } else if (ref.kind === "StatefulSet") owners.add(`statefulset/${ref.name}`);
    else if (ref.kind === "DaemonSet") owners.add(`daemonset/${ref.name}`);
  }
  if (owners.size === 0)
    return { ok: false, reason: `${what}: no running pod with a Deployment, StatefulSet or DaemonSet owner` };
  if (owners.size > 1)
    return {
      ok: false,
      reason: `${what}: its pods belong to several workloads (${[...owners].join(", ")}); which one failed is not clear`,
    };
  const [kind, name] = [...owners][0]!.split("/") as ["deployment" | "statefulset" | "daemonset", string];
  return workload(ns, kind, name);
}
