import type { Target } from "../../core/types.ts";

type WorkloadTarget = Extract<Target, { kind: "k8s_workload" }>;

/** A Kubernetes workload target as the agent resolves one: key `k8s::<namespace>/<workload>/<name>`. */
export const k8sWorkload = (
  name: string,
  {
    namespace = "shop",
    workload = "deployment",
  }: { namespace?: string; workload?: WorkloadTarget["workload"] } = {},
): WorkloadTarget => ({
  kind: "k8s_workload",
  key: `k8s::${namespace}/${workload}/${name}`,
  namespace,
  workload,
  name,
});
