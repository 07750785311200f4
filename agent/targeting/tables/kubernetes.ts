import { isExporterOwnPod, isExporterOwnService } from "./exporters.ts";
import { fromPolicy } from "./policyMap.ts";
import { k8sNode, k8sRef, k8sWorkload, type LabelTable, type Labels, type ResolveContext } from "./table.ts";

/**
 * kube-state-metrics and the kubernetes-mixin rules (kube-prometheus-stack), cAdvisor through the kubelet, and
 * AegisOps's own rules: the object's kind is the label's name. A ReplicaSet-hashed pod name is kept as the pod: the
 * platform finds its owning Deployment when it acts. Most specific first: a pod alert also carries its `node`.
 * kube-prometheus-stack adds kube-state-metrics' own `pod`/`service` (scrape target labels) to series about other
 * objects: those never decide (see exporters.ts); the object label does.
 */
export const KUBERNETES: LabelTable = {
  name: "kubernetes",
  source: "kube-state-metrics / kubernetes-mixin (kube-prometheus-stack), kubelet cAdvisor, AegisOps rules",
  rows: [
    {
      needs: ["namespace", "pod"],
      when: (l) => !isExporterOwnPod(l),
      resolve: (l, ctx) => k8sWorkload(ctx, l.namespace!, "pod", l.pod!, l.container),
    },
    {
      // A rule that aggregated the namespace away (`sum by (pod, container)`): the platform looks the pod up across
      // the cluster; a unique match is the target, several are escalated naming them.
      needs: ["pod"],
      when: (l) => !l.namespace && !isExporterOwnPod(l),
      resolve: (l, ctx) => k8sRef(ctx, "pod", l.pod!, undefined, `pod="${l.pod}" without a namespace`),
    },
    ...(["deployment", "statefulset", "daemonset"] as const).map((workload) => ({
      needs: ["namespace", workload],
      resolve: (l: Labels, ctx: ResolveContext) => k8sWorkload(ctx, l.namespace!, workload, l[workload]!),
    })),
    {
      needs: ["namespace", "replicaset"],
      resolve: (l, ctx) => k8sRef(ctx, "replicaset", l.replicaset!, l.namespace, "replicaset"),
    },
    {
      needs: ["namespace", "horizontalpodautoscaler"],
      resolve: (l, ctx) =>
        k8sRef(
          ctx,
          "horizontalpodautoscaler",
          l.horizontalpodautoscaler!,
          l.namespace,
          "horizontalpodautoscaler",
        ),
    },
    {
      needs: ["namespace", "persistentvolumeclaim"],
      resolve: (l, ctx) =>
        k8sRef(ctx, "persistentvolumeclaim", l.persistentvolumeclaim!, l.namespace, "persistentvolumeclaim"),
    },
    {
      needs: ["namespace", "job_name"],
      resolve: (l) => ({
        notActionable: `Job ${l.namespace}/${l.job_name}: no catalog action acts on a Job (its pods run to completion); a person must look at why it failed or is slow`,
      }),
    },
    {
      needs: ["namespace", "resourcequota"],
      resolve: (l) => ({
        notActionable: `ResourceQuota ${l.namespace}/${l.resourcequota}: a namespace's quota is a budget for people to change; no catalog action acts on it`,
      }),
    },
    {
      needs: ["namespace", "cronjob"],
      resolve: (l) => ({
        notActionable: `CronJob ${l.namespace}/${l.cronjob}: no catalog action acts on a CronJob`,
      }),
    },
    {
      // Only a Kubernetes node name (DNS-1123): RabbitMQ's `node` is `rabbit@host`, other exporters have their own.
      needs: ["node"],
      when: (l) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(l.node ?? ""),
      resolve: (l, ctx) => k8sNode(ctx, l.node!),
    },
    {
      // kube_service_* series: the Service object; the policy's entry of that name wins (it may name a Docker target).
      needs: ["namespace", "service"],
      when: (l) => !isExporterOwnService(l),
      resolve: (l, ctx) =>
        fromPolicy(ctx, [l.service]) ?? k8sRef(ctx, "service", l.service!, l.namespace, "service"),
    },
  ],
};

/**
 * Last of all: an exporter's own pod that no other label set aside (kube-state-metrics' pod crash-looping itself,
 * KubeStateMetricsListErrors) is the target after all.
 */
export const EXPORTER_SELF: LabelTable = {
  name: "exporter-self",
  source: "kube-prometheus-stack scrape target labels of an exporter's own series",
  rows: [
    {
      needs: ["namespace", "pod"],
      when: isExporterOwnPod,
      resolve: (l, ctx) => k8sWorkload(ctx, l.namespace!, "pod", l.pod!, l.container),
    },
  ],
};
