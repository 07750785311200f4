import { parseAllDocuments } from "yaml";
import type { KubeObject } from "./types.ts";

/** Parses ordinary Kubernetes manifests (multi-document YAML; `List` kinds are flattened). */
export function parseManifests(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
    const o = doc.toJS() as KubeObject | null;
    if (!o) continue;
    if (o.kind?.endsWith("List") && Array.isArray(o.items)) out.push(...(o.items as KubeObject[]));
    else out.push(o);
  }
  return out;
}

/**
 * Annotations a fixture may put on Deployments to describe the simulated world behind them (all optional):
 * rps, capacity-rps, database, upstream, calls (comma list), kafka (`group/topic/partitions/perConsumerRate`),
 * queue (`name/perWorkerRate/arrivalRate`). Database Services select their instance with a `role` label.
 */
export const WORLD_ANNOTATION = "kube-sim.aegisops.io/";

const node = (name: string, zone: string) => `
apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels:
    kubernetes.io/hostname: ${name}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: ${zone}
    node-role.kubernetes.io/worker: ""
`;

const deployment = (o: {
  name: string;
  replicas: number;
  image: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  env?: string;
}) => {
  const labels = { app: o.name, ...o.labels };
  const ann = Object.entries(o.annotations ?? {})
    .map(([k, v]) => `\n    ${WORLD_ANNOTATION}${k}: "${v}"`)
    .join("");
  const lbl = (indent: string) =>
    Object.entries(labels)
      .map(([k, v]) => `\n${indent}${k}: ${v}`)
      .join("");
  const name = o.labels?.role ? `${o.name}-${o.labels.role}` : o.name;
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
  labels:${lbl("    ")}
  annotations:${ann || " {}"}
spec:
  replicas: ${o.replicas}
  selector:
    matchLabels:${lbl("      ")}
  template:
    metadata:
      labels:${lbl("        ")}
    spec:
      containers:
        - name: app
          image: ${o.image}
          ports:
            - containerPort: 8080
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 256Mi }${o.env ?? ""}
`;
};

const service = (name: string, selector: string) => `
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: shop
spec:
  selector: ${selector}
  ports:
    - port: 80
      targetPort: 8080
`;

/** The default demo cluster: 3 nodes, a small shop with services, PDBs, an HPA, a database, Kafka and a queue. */
export const DEMO_CLUSTER = [
  node("sim-node-1", "zone-a"),
  node("sim-node-2", "zone-b"),
  node("sim-node-3", "zone-c"),
  `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
`,
  `
apiVersion: v1
kind: Secret
metadata:
  name: web-db
  namespace: shop
type: Opaque
stringData:
  password: s3cr3t
`,
  deployment({
    name: "web",
    replicas: 3,
    image: "ghcr.io/acme/web:1.4.2",
    annotations: {
      rps: "60",
      "capacity-rps": "40",
      database: "orders-db",
      upstream: "payments-api",
      calls: "checkout",
    },
    env: `
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: { name: web-db, key: password }`,
  }),
  service("web", "{ app: web }"),
  `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
    - host: shop.example.test
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: { name: web, port: { number: 80 } }
`,
  `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  minAvailable: 2
  selector:
    matchLabels: { app: web }
`,
  `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: shop
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 3
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
`,
  deployment({
    name: "checkout",
    replicas: 2,
    image: "ghcr.io/acme/checkout:2.0.1",
    annotations: { rps: "30", "capacity-rps": "40" },
  }),
  service("checkout", "{ app: checkout }"),
  `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: checkout
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: { app: checkout }
`,
  deployment({
    name: "orders-consumer",
    replicas: 2,
    image: "ghcr.io/acme/orders-consumer:3.2.0",
    annotations: { rps: "0", kafka: "orders/orders/6/100" },
  }),
  deployment({
    name: "email-worker",
    replicas: 1,
    image: "ghcr.io/acme/email-worker:1.0.7",
    annotations: { rps: "0", queue: "emails/20/10" },
  }),
  deployment({
    name: "orders-db",
    replicas: 1,
    image: "postgres:16.4",
    labels: { role: "primary" },
    annotations: { rps: "0" },
  }),
  deployment({
    name: "orders-db",
    replicas: 1,
    image: "postgres:16.4",
    labels: { role: "secondary" },
    annotations: { rps: "0" },
  }),
  service("orders-db", "{ app: orders-db, role: primary }"),
  `
apiVersion: v1
kind: Namespace
metadata:
  name: kube-system
`,
  `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
  namespace: kube-system
spec:
  selector:
    matchLabels: { app: node-exporter }
  template:
    metadata:
      labels: { app: node-exporter }
    spec:
      tolerations: [{ operator: Exists }]
      containers:
        - name: node-exporter
          image: quay.io/prometheus/node-exporter:v1.8.2
`,
].join("\n---\n");
