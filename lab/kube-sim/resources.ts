/** The resource registry: one entry per served resource; it drives routing, discovery, OpenAPI and Tables. */

export interface SubresourceDef {
  name: string;
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: string[];
  subresources: SubresourceDef[];
}

const ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const statusSub = (group: string, version: string, kind: string): SubresourceDef => ({
  name: "status",
  group,
  version,
  kind,
  verbs: ["get", "patch", "update"],
});

function def(
  group: string,
  version: string,
  kind: string,
  plural: string,
  shortNames: string[],
  namespaced: boolean,
  subresources: SubresourceDef[] = [],
  verbs: string[] = ALL,
): ResourceDef {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    namespaced,
    verbs,
    subresources,
  };
}

/** Every resource the simulator serves. */
export const RESOURCES: readonly ResourceDef[] = [
  def("", "v1", "Pod", "pods", ["po"], true, [
    statusSub("", "v1", "Pod"),
    { name: "log", group: "", version: "v1", kind: "Pod", verbs: ["get"] },
    { name: "eviction", group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] },
  ]),
  def("", "v1", "Node", "nodes", ["no"], false, [statusSub("", "v1", "Node")]),
  def("", "v1", "Service", "services", ["svc"], true, [statusSub("", "v1", "Service")]),
  def("", "v1", "ConfigMap", "configmaps", ["cm"], true),
  def("", "v1", "Secret", "secrets", [], true),
  def("", "v1", "Endpoints", "endpoints", ["ep"], true),
  def("", "v1", "ResourceQuota", "resourcequotas", ["quota"], true, [statusSub("", "v1", "ResourceQuota")]),
  def("", "v1", "Event", "events", ["ev"], true),
  def("", "v1", "ServiceAccount", "serviceaccounts", ["sa"], true),
  def("", "v1", "PersistentVolume", "persistentvolumes", ["pv"], false, [
    statusSub("", "v1", "PersistentVolume"),
  ]),
  def("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", ["pvc"], true, [
    statusSub("", "v1", "PersistentVolumeClaim"),
  ]),
  def(
    "",
    "v1",
    "Namespace",
    "namespaces",
    ["ns"],
    false,
    [statusSub("", "v1", "Namespace")],
    ["create", "delete", "get", "list", "patch", "update", "watch"],
  ),
  def("apps", "v1", "Deployment", "deployments", ["deploy"], true, [
    statusSub("apps", "v1", "Deployment"),
    { name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] },
  ]),
  def("apps", "v1", "ReplicaSet", "replicasets", ["rs"], true, [
    statusSub("apps", "v1", "ReplicaSet"),
    { name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] },
  ]),
  def("apps", "v1", "DaemonSet", "daemonsets", ["ds"], true, [statusSub("apps", "v1", "DaemonSet")]),
  def("apps", "v1", "StatefulSet", "statefulsets", ["sts"], true, [
    statusSub("apps", "v1", "StatefulSet"),
    { name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] },
  ]),
  def("apps", "v1", "ControllerRevision", "controllerrevisions", [], true),
  def("batch", "v1", "Job", "jobs", [], true, [statusSub("batch", "v1", "Job")]),
  def("batch", "v1", "CronJob", "cronjobs", ["cj"], true, [statusSub("batch", "v1", "CronJob")]),
  def("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", [], true),
  def("storage.k8s.io", "v1", "StorageClass", "storageclasses", ["sc"], false),
  def("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", ["pc"], false),
  def("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", ["hpa"], true, [
    statusSub("autoscaling", "v2", "HorizontalPodAutoscaler"),
  ]),
  def("networking.k8s.io", "v1", "Ingress", "ingresses", ["ing"], true, [
    statusSub("networking.k8s.io", "v1", "Ingress"),
  ]),
  def("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", ["netpol"], true),
  def("networking.k8s.io", "v1", "IngressClass", "ingressclasses", [], false),
  def("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", ["pdb"], true, [
    statusSub("policy", "v1", "PodDisruptionBudget"),
  ]),
  def("coordination.k8s.io", "v1", "Lease", "leases", [], true),
  // Stored, so that installs (`kubectl apply -k deploy/kubernetes/...`) can be applied. Requests to the simulator
  // are authorized by its `rbac` option; these objects judge the workloads' own API calls (workloadRbac.ts).
  def("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", [], false),
  def("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", [], false),
  def("rbac.authorization.k8s.io", "v1", "Role", "roles", [], true),
  def("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", [], true),
  // Chaos Mesh's CRDs (chaos-mesh.org/v1alpha1), acted on by the simulator's chaos controller (chaos/).
  ...["PodChaos", "NetworkChaos", "HTTPChaos", "IOChaos", "StressChaos", "Schedule"].map((kind) =>
    // The CRDs' plurals are the kind's own name (`podchaos`), except `schedules`.
    def(
      "chaos-mesh.org",
      "v1alpha1",
      kind,
      kind === "Schedule" ? "schedules" : kind.toLowerCase(),
      [],
      true,
      [statusSub("chaos-mesh.org", "v1alpha1", kind)],
    ),
  ),
  // What metrics-server serves: computed from the kubelets' readings on each request, never stored.
  def("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", [], true, [], ["get", "list"]),
];

/** `apiVersion` string of a group/version ("v1" for the core group). */
export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group === "" ? r.version : `${r.group}/${r.version}`;
}

/** The resource served at group/version/plural, if any. */
export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** The resource for a manifest's apiVersion and kind, if served. */
export function resourceForKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** Looks a resource up by kind alone (controllers use this for their own kinds). */
export function resourceOf(kind: string): ResourceDef {
  const r = RESOURCES.find((x) => x.kind === kind);
  if (!r) throw new Error(`kind ${kind} is not served`);
  return r;
}

/** The group/versions served, in discovery order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(apiVersionOf(r), { group: r.group, version: r.version });
  return [...seen.values()];
}
