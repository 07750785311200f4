import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../../agent/policy/loadPolicy.ts";
import { resolveTarget } from "../../../agent/targeting/resolveTarget.ts";

const policy = parsePolicy(
  [
    "services:",
    "  billing:",
    "    target: { namespace: pay, deployment: billing-consumer }",
    "    kafka: { group: billing-events, partitions: 4 }",
    "  thumbnailer:",
    "    target: { namespace: media, deployment: thumbnailer }",
    "    queue: { name: thumbnails }",
    "  storefront:",
    "    healthUrl: http://10.1.2.3:8080/healthz",
    "    target: { container: storefront }",
    "  checkout:",
    "    target: { namespace: shop, deployment: checkout }",
    "  inventory:",
    "    target: { namespace: shop, statefulset: inventory-pg }",
    "    database: { service: inventory-db }",
  ].join("\n"),
  "policy.yaml",
);
const key = (labels: Record<string, string>) => resolveTarget(labels, policy).key;
const reason = (labels: Record<string, string>) => {
  const t = resolveTarget(labels, policy);
  return t.kind === "unresolved" ? t.reason : `resolved to ${t.key}`;
};

describe("kubernetes table (kube-state-metrics, kubernetes-mixin)", () => {
  it("a pod alert carrying its node acts on the pod, not the node", () => {
    expect(key({ namespace: "shop", pod: "web-5f7c9-abcde", container: "app", node: "n1" })).toBe(
      "k8s::shop/pod/web-5f7c9-abcde",
    );
  });
  it("a PVC alert carrying the kubelet's node acts on the claim's owner, not the node", () => {
    expect(key({ namespace: "shop", persistentvolumeclaim: "data-0", node: "n1" })).toBe(
      "k8s::shop/persistentvolumeclaim/data-0",
    );
  });
  it("a node label that is not a Kubernetes node name (RabbitMQ's rabbit@host) is not a node", () => {
    expect(reason({ node: "rabbit@rabbitmq-0" })).toMatch(/no label convention names a workload/);
  });
  it("the cluster label picks the kube context", () => {
    expect(key({ namespace: "shop", deployment: "web", cluster: "eu" })).toBe("k8s:eu:shop/deployment/web");
  });
});

describe("docker table (cAdvisor, Compose)", () => {
  it("a cAdvisor series of one Compose member acts on that member, within its project", () => {
    const t = resolveTarget(
      {
        name: "shop-web-3",
        image: "web:1",
        container_label_com_docker_compose_service: "web",
        container_label_com_docker_compose_project: "shop",
      },
      policy,
    );
    expect(t).toMatchObject({
      kind: "docker_service",
      key: "docker:service/shop/web",
      project: "shop",
      member: "shop-web-3",
    });
  });
  it("compose_project narrows a compose_service to one project", () => {
    expect(key({ compose_service: "web", compose_project: "shop" })).toBe("docker:service/shop/web");
  });
  it("a Swarm task's container is acted on by its task name; a whole Swarm service is not actionable", () => {
    expect(key({ container_label_com_docker_swarm_task_name: "web.2.k3j4h5g6f7d8s9a0" })).toBe(
      "docker:container/web.2.k3j4h5g6f7d8s9a0",
    );
    expect(reason({ container_label_com_docker_swarm_service_name: "web" })).toMatch(
      /Swarm service web: no catalog action acts on a Swarm service/,
    );
  });
  it("cAdvisor's compose service label → the Compose service", () => {
    expect(
      key({ name: "shop-web-1", image: "web:1", container_label_com_docker_compose_service: "web" }),
    ).toBe("docker:service/web");
  });
  it("cAdvisor's name with a Docker cgroup id → the container", () => {
    expect(key({ name: "web-1", id: "/system.slice/docker-0b1c2d.scope" })).toBe("docker:container/web-1");
  });
  it("another exporter's name label is not a container", () => {
    expect(reason({ name: "eth0", job: "snmp" })).toMatch(/no label convention/);
  });
});

describe("node-exporter table", () => {
  it("instance of a node-exporter job → the node by address, its port dropped", () => {
    expect(key({ job: "node", instance: "10.0.1.11:9100" })).toBe("k8s::node/10.0.1.11");
  });
  it("instance of another job is not a node", () => {
    expect(reason({ job: "my-app", instance: "10.0.1.11:8080" })).toMatch(/no label convention/);
  });
});

describe("service-mesh table", () => {
  it("Linkerd's dst_deployment + dst_namespace → the Deployment", () => {
    expect(
      key({ dst_deployment: "checkout", dst_namespace: "shop", deployment: "web", namespace: "shop" }),
    ).toBe("k8s::shop/deployment/checkout");
  });
  it("a deployment label without namespace maps through the policy when it names that deployment", () => {
    expect(key({ deployment: "checkout" })).toBe("k8s::shop/deployment/checkout");
  });
  it("Istio's destination_service FQDN → the Service", () => {
    expect(key({ destination_service: "reviews.bookinfo.svc.cluster.local" })).toBe(
      "k8s::bookinfo/service/reviews",
    );
  });
  // One case per row of the table (agent/targeting/tables/mesh.ts), as Istio's and Linkerd's proxies label them.
  const istioPair = {
    reporter: "source",
    source_workload: "productpage-v1",
    source_workload_namespace: "bookinfo",
    response_code: "503",
  };
  it.each([
    [
      "Istio destination_workload(+_namespace), the caller's labels beside it",
      { ...istioPair, destination_workload: "reviews-v2", destination_workload_namespace: "bookinfo" },
      "k8s::bookinfo/workload/reviews-v2",
    ],
    [
      "Istio destination_service_name(+_namespace)",
      { ...istioPair, destination_service_name: "reviews", destination_service_namespace: "bookinfo" },
      "k8s::bookinfo/service/reviews",
    ],
    [
      "Istio destination_service as a cluster DNS name",
      { ...istioPair, destination_service: "ratings.bookinfo.svc.cluster.local" },
      "k8s::bookinfo/service/ratings",
    ],
    [
      "Istio destination_canonical_service in destination_workload_namespace",
      { destination_canonical_service: "details", destination_workload_namespace: "bookinfo" },
      "k8s::bookinfo/workload/details",
    ],
    [
      "Linkerd outbound dst_deployment + dst_namespace (the client's own deployment beside it)",
      {
        direction: "outbound",
        deployment: "web",
        namespace: "shop",
        dst_deployment: "checkout",
        dst_namespace: "shop",
      },
      "k8s::shop/deployment/checkout",
    ],
    [
      "Linkerd dst_statefulset",
      {
        direction: "outbound",
        deployment: "web",
        namespace: "shop",
        dst_statefulset: "pg",
        dst_namespace: "db",
      },
      "k8s::db/statefulset/pg",
    ],
    [
      "Linkerd dst_daemonset",
      {
        direction: "outbound",
        deployment: "web",
        namespace: "shop",
        dst_daemonset: "agent",
        dst_namespace: "ops",
      },
      "k8s::ops/daemonset/agent",
    ],
    [
      "Linkerd dst_service when no destination workload is labelled",
      {
        direction: "outbound",
        deployment: "web",
        namespace: "shop",
        dst_service: "payments",
        dst_namespace: "pay",
      },
      "k8s::pay/service/payments",
    ],
    [
      "Linkerd authority host:port",
      { direction: "outbound", authority: "checkout.shop.svc.cluster.local:8080" },
      "k8s::shop/service/checkout",
    ],
    [
      "Istio source_workload alone (a client's outbound error rate): the caller",
      istioPair,
      "k8s::bookinfo/workload/productpage-v1",
    ],
  ])("%s", (_, labels, want) => {
    expect(key(labels)).toBe(want);
  });
  it("Linkerd inbound metrics: the server's own deployment + namespace → that Deployment (the Kubernetes table)", () => {
    expect(key({ direction: "inbound", deployment: "checkout", namespace: "shop" })).toBe(
      "k8s::shop/deployment/checkout",
    );
  });
});

describe("messaging tables (Kafka, Burrow, RabbitMQ, SQS)", () => {
  it("a consumer group maps through the policy's kafka.group", () => {
    expect(key({ consumergroup: "billing-events", topic: "invoices" })).toBe(
      "k8s::pay/deployment/billing-consumer",
    );
  });
  it("Burrow's group label, its cluster label being Kafka's, not a kube context", () => {
    expect(key({ group: "billing-events", topic: "invoices", cluster: "kafka-main", job: "burrow" })).toBe(
      "k8s::pay/deployment/billing-consumer",
    );
  });
  it("an unmapped group escalates naming the policy entry", () => {
    expect(reason({ consumergroup: "audit", topic: "audit" })).toMatch(
      /Kafka consumer group "audit" is not in the policy's service map \(kafka labels\): add services\.audit\.target .* and kafka\.group; labels carried: \{consumergroup="audit", topic="audit"\}/,
    );
  });
  it("a queue beside explicit workload labels: the workload named wins", () => {
    expect(key({ queue: "emails", namespace: "shop", deployment: "email-worker" })).toBe(
      "k8s::shop/deployment/email-worker",
    );
  });
  it("an SQS queue maps through queue.name", () => {
    expect(key({ queue_name: "thumbnails" })).toBe("k8s::media/deployment/thumbnailer");
  });
});

describe("blackbox and database tables", () => {
  it("a probed URL that is not a cluster Service maps through the policy's health URL (same host and port)", () => {
    expect(key({ instance: "http://10.1.2.3:8080/", job: "blackbox" })).toBe("docker:container/storefront");
  });
  it("the probed URL wins over the blackbox exporter's own pod labels", () => {
    expect(
      key({
        instance: "http://checkout.shop.svc:8080/",
        namespace: "monitoring",
        pod: "blackbox-exporter-abc",
      }),
    ).toBe("k8s::shop/service/checkout");
  });
  it("postgres_exporter's server → the database through the policy's database.service", () => {
    expect(key({ server: "inventory-db.shop.svc:5432", job: "postgres", instance: "10.0.7.7:9187" })).toBe(
      "k8s::shop/statefulset/inventory-pg",
    );
  });
  it("the exporter's own pod is never the database", () => {
    expect(reason({ server: "ledger-db:5432", namespace: "db", pod: "postgres-exporter-xyz" })).toMatch(
      /database ledger-db:5432 is not in the policy's service map/,
    );
  });
});
