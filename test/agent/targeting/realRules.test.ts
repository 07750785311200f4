import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { resolveTarget } from "../../../agent/targeting/resolveTarget.ts";
import { parsePolicy } from "../../../agent/policy/loadPolicy.ts";
import { alertLabelsOf, type SeriesLabels } from "../../helpers/promqlLabels.ts";

const dir = join(import.meta.dirname, "../../fixtures/rules");
const series = (
  parse(readFileSync(join(dir, "series.yaml"), "utf8"), { merge: true }) as { metrics: SeriesLabels }
).metrics;
interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
}
const rules: Array<{ file: string; rule: Rule }> = [];
for (const sub of ["kube-prometheus", "awesome-prometheus-alerts"]) {
  for (const f of readdirSync(join(dir, sub)).sort()) {
    const doc = parse(readFileSync(join(dir, sub, f), "utf8")) as { groups: Array<{ rules: Rule[] }> };
    for (const g of doc.groups)
      for (const rule of g.rules) if (rule.alert) rules.push({ file: `${sub}/${f}`, rule });
  }
}
const policy = parsePolicy(
  [
    "services:",
    "  orders-consumer:",
    "    target: { namespace: shop, deployment: orders-consumer }",
    "    kafka: { group: orders, partitions: 6 }",
    "  email-worker:",
    "    target: { namespace: shop, deployment: email-worker }",
    "    queue: { name: my-queue }",
    "  orders-db:",
    "    target: { namespace: shop, statefulset: orders-db }",
  ].join("\n"),
  "policy.yaml",
);

/**
 * What each rule's alert must resolve to: a target key, or an escalation whose reason matches (naming what the labels
 * carried and, where the policy could map it, the entry to add). Reviewed by hand against each rule's meaning.
 */
const POD = "k8s::shop/pod/checkout-7d9f8c6b5-x2x1z";
const NODE = "k8s::node/ip-10-0-1-11";
const EXPECTED: Record<string, string | RegExp> = {
  KubePodCrashLooping: POD,
  KubePodNotReady: POD,
  KubeDeploymentGenerationMismatch: "k8s::shop/deployment/checkout",
  KubeDeploymentReplicasMismatch: "k8s::shop/deployment/checkout",
  KubeStatefulSetReplicasMismatch: "k8s::shop/statefulset/orders-db",
  KubeStatefulSetUpdateNotRolledOut: "k8s::shop/statefulset/orders-db",
  KubeDaemonSetNotScheduled: "k8s::monitoring/daemonset/node-exporter",
  KubeContainerWaiting: POD,
  KubeJobNotCompleted:
    /^Job shop\/nightly-report-29123: no catalog action acts on a Job.*labels carried: \{namespace="shop", job_name="nightly-report-29123"\}/,
  KubeJobFailed: /^Job shop\/nightly-report-29123: no catalog action/,
  KubeHpaReplicasMismatch: "k8s::shop/horizontalpodautoscaler/checkout",
  KubeHpaMaxedOut: "k8s::shop/horizontalpodautoscaler/checkout",
  KubeCPUOvercommit: /^no label convention names a workload in these labels: \{\}/,
  KubeQuotaFullyUsed: /^ResourceQuota shop\/shop-quota: .*no catalog action/,
  CPUThrottlingHigh: POD,
  KubePersistentVolumeFillingUp: "k8s::shop/persistentvolumeclaim/data-orders-db-0",
  KubeNodeNotReady: NODE,
  KubeNodeUnreachable: NODE,
  KubeletTooManyPods: NODE,
  BlackboxProbeFailed: "k8s::shop/service/checkout",
  BlackboxConfigurationReloadFailure: /labels: \{job="blackbox-exporter", instance="10.0.5.5:9115"\}/,
  BlackboxSlowProbe: "k8s::shop/service/checkout",
  BlackboxProbeHttpFailure: "k8s::shop/service/checkout",
  BlackboxSslCertificateExpired:
    /^probed URL https:\/\/shop.example.com\/ is not in the policy's service map.*add services\.shop\.example\.com\.target .* with healthUrl: https:\/\/shop.example.com\//,
  KafkaTopicsReplicas:
    /^Kafka topic "orders": .*no catalog action acts on a topic; labels carried: \{topic="orders"\}/,
  KafkaConsumersGroup: "k8s::shop/deployment/orders-consumer",
  ContainerKilled: "docker:service/shop/orders-api",
  ContainerAbsent: /labels: \{\}/,
  // by (pod, container): no namespace; the platform looks the pod up across the cluster.
  ContainerHighCpuUtilization: "k8s::pod/checkout-7d9f8c6b5-x2x1z",
  ContainerHighMemoryUsage: "docker:container/orders-api-1",
  ContainerVolumeUsage: /labels: \{instance="cadvisor:8080"\}/,
  ContainerHighThrottleRate: POD,
  ContainerLowMemoryUsage: "docker:container/orders-api-1",
  IstioKubernetesGatewayAvailabilityDrop: "k8s::istio-system/deployment/istio-ingressgateway",
  IstioHigh5xxErrorRate: /labels: \{\}/,
  IstioHighRequestLatency: "k8s::shop/workload/checkout",
  IstioLatency99Percentile: "k8s::shop/workload/checkout",
  LinkerdHighErrorRate:
    /^deployment "checkout" without a namespace label is not in the policy's service map.*add services\.checkout\.target.*labels carried: \{deployment="checkout"\}/,
  RabbitmqDown: /labels: \{job="rabbitmq", instance="rabbitmq-exporter:9419"\}/,
  RabbitmqClusterDown: /labels: \{\}/,
  RabbitmqTooManyMessagesInQueue: "k8s::shop/deployment/email-worker",
  RabbitmqSlowQueueConsuming: "k8s::shop/deployment/email-worker",
  RabbitmqNoConsumer: "k8s::shop/deployment/email-worker",
  KubernetesNodeReady: NODE,
  KubernetesMemoryPressure: NODE,
  KubernetesDiskPressure: NODE,
  KubernetesOutOfCapacity: NODE,
  KubernetesContainerOomKiller: POD,
  KubernetesJobFailed: /^Job shop\/nightly-report-29123: no catalog action/,
  KubernetesCronjobSuspended: /^CronJob shop\/nightly-report: no catalog action/,
  KubernetesPersistentvolumeclaimPending: "k8s::shop/persistentvolumeclaim/data-orders-db-0",
  KubernetesVolumeOutOfDiskSpace: "k8s::shop/persistentvolumeclaim/data-orders-db-0",
  KubernetesStatefulsetDown: "k8s::shop/statefulset/orders-db",
  KubernetesHpaScalingAbility: "k8s::shop/horizontalpodautoscaler/checkout",
  KubernetesHpaScaleCapability: "k8s::shop/horizontalpodautoscaler/checkout",
  KubernetesHpaUnderutilized: /labels: \{horizontalpodautoscaler="checkout"\}/,
  KubernetesPodNotHealthy: POD,
  KubernetesPodCrashLooping: POD,
  KubernetesReplicassetMismatch: "k8s::shop/replicaset/checkout-7d9f8c6b5",
  KubernetesDeploymentReplicasMismatch: "k8s::shop/deployment/checkout",
  KubernetesDeploymentGenerationMismatch: "k8s::shop/deployment/checkout",
  KubernetesDaemonsetRolloutStuck: "k8s::monitoring/daemonset/node-exporter",
  KubernetesCronjobTooLong: /^CronJob shop\/nightly-report: no catalog action/,
  KubernetesJobSlowCompletion: /^Job shop\/nightly-report-29123: no catalog action/,
  HostOutOfMemory: NODE,
  HostOutOfDiskSpace: NODE,
  HostHighCpuLoad: NODE,
  // Its rule does not join node_uname_info: only the exporter's address is left, matched to a node at triage.
  HostContextSwitchingHigh: "k8s::node/10.0.1.11",
  HostOomKillDetected: NODE,
  PostgresqlDown: "k8s::shop/statefulset/orders-db",
  PostgresqlRestarted: "k8s::shop/statefulset/orders-db",
  PostgresqlTooManyConnections: "k8s::shop/statefulset/orders-db",
  PostgresqlNotEnoughConnections:
    /^database with a database named orders is not in the policy's service map.*labels carried: \{datname="orders"\}/,
  PostgresqlDeadLocks: "k8s::shop/statefulset/orders-db",
  AwsRdsHighCpuUtilization:
    /^database billing-rds is not in the policy's service map.*add services\.billing-rds\.target/,
  AwsSqsQueueMessagesVisible:
    /^SQS queue "thumbnails" is not in the policy's service map.*add services\.thumbnails\.target .* and queue\.name/,
  AwsSqsMessageAgeTooOld: /^SQS queue "thumbnails" is not in the policy's service map/,
};

describe("real rule files: each alert's labels resolve to its target or a clear escalation", () => {
  it("covers every rule in the fixtures", () => {
    expect(rules.map((r) => r.rule.alert).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(rules.map((r) => [`${r.file} ${r.rule.alert}`, r.rule] as const))("%s", (_name, rule) => {
    const labels = { ...alertLabelsOf(rule.expr, series), ...rule.labels, alertname: rule.alert! };
    const target = resolveTarget(labels, policy);
    const expected = EXPECTED[rule.alert!]!;
    if (typeof expected === "string") {
      expect(target.key).toBe(expected);
    } else {
      expect(target.kind).toBe("unresolved");
      expect(target.kind === "unresolved" ? target.reason : "").toMatch(expected);
    }
  });
});

/**
 * kube-prometheus-stack as installed by default: its kube-state-metrics ServiceMonitor keeps `honorLabels: true` and
 * drops nothing, so every kube-state-metrics series also carries the scrape target's pod, service, endpoint and (when
 * it has none of its own) namespace. The exporter's own labels must change no alert's target.
 */
const KSM_TARGET = {
  pod: "kube-prometheus-stack-kube-state-metrics-5b8c7d9f4-q7w2e",
  service: "kube-prometheus-stack-kube-state-metrics",
  endpoint: "http",
  namespace: "monitoring",
};
const withScrapeTarget: SeriesLabels = Object.fromEntries(
  Object.entries(series).map(([metric, labels]) => [
    metric,
    labels.job === "kube-state-metrics" ? { ...KSM_TARGET, ...labels } : labels,
  ]),
);
const ksmRules = rules.filter((r) => /job="kube-state-metrics"/.test(r.rule.expr));

describe("the same rules with kube-state-metrics' scrape target labels (kube-prometheus-stack, honorLabels)", () => {
  it("covers the kube-state-metrics rules", () => {
    expect(ksmRules.length).toBeGreaterThan(10);
  });
  it.each(ksmRules.map((r) => [`${r.file} ${r.rule.alert}`, r.rule] as const))("%s", (_name, rule) => {
    const labels = { ...alertLabelsOf(rule.expr, withScrapeTarget), ...rule.labels, alertname: rule.alert! };
    const target = resolveTarget(labels, policy);
    const expected = EXPECTED[rule.alert!]!;
    if (typeof expected === "string") expect(target.key).toBe(expected);
    else expect(target.kind).toBe("unresolved");
  });
});
