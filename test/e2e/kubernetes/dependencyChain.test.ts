import { afterEach, describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { parsePolicy } from "../../../agent/policy/loadPolicy.ts";
import { createKubernetesPlatform } from "../../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import type { Incident } from "../../../core/types.ts";
import { DEMO_CLUSTER, startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { alertNow } from "../../helpers/alerts.ts";
import { k8sWorkload } from "../../helpers/targets.ts";

// front calls api, api queries its database api-db (a primary and a secondary behind one Service). front's latency
// alert: its logs name api as slow; api's own logs name api-db; api-db's clients report its slow queries.
let sim: KubeSim | undefined;
afterEach(async () => {
  await sim?.stop();
});

const deployment = (
  name: string,
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
) => {
  const all = { app: name.replace(/-(primary|secondary)$/, ""), ...labels };
  const lbl = Object.entries(all)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  return `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: store
  annotations: {${Object.entries(annotations)
    .map(([k, v]) => `"kube-sim.aegisops.io/${k}": "${v}"`)
    .join(", ")}}
spec:
  replicas: 2
  selector: { matchLabels: { ${lbl} } }
  template:
    metadata: { labels: { ${lbl} } }
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/${name}:1.0
          resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 256Mi } }
`;
};
const service = (name: string, selector: string) => `---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: store }
spec:
  selector: ${selector}
  ports: [{ port: 80, targetPort: 8080 }]
`;
const STORE = (selects: "primary" | "secondary") => `
---
apiVersion: v1
kind: Namespace
metadata: { name: store }
${deployment("front", { rps: "20", calls: "api" })}${deployment("api", { rps: "20", database: "api-db" })}${deployment(
  "api-db-primary",
  { rps: "0" },
  { role: "primary" },
)}${deployment("api-db-secondary", { rps: "0" }, { role: "secondary" })}${service("front", "{ app: front }")}${service(
  "api",
  "{ app: api }",
)}${service("api-db", `{ app: api-db, role: ${selects} }`)}`;
const REGISTRY = `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/front:1.0: { memoryMiB: 60 }
  ghcr.io/acme/api:1.0: { memoryMiB: 60 }
  ghcr.io/acme/api-db-primary:1.0: { memoryMiB: 60 }
  ghcr.io/acme/api-db-secondary:1.0: { memoryMiB: 60 }
`;
const POLICY = parsePolicy(
  `services:
  api-db:
    target: { namespace: store, deployment: api-db-primary }
    database: { service: api-db, selectorKey: role, primary: primary, secondary: secondary }
`,
  "test",
);
const front = k8sWorkload("front", { namespace: "store" });
const alert = alertNow("front-latency", {
  alertname: "LatencyP95High",
  namespace: "store",
  deployment: "front",
  severity: "warning",
});

async function frontsAlert(selects: "primary" | "secondary") {
  sim = await startKubeSim({ clock: "virtual", fixture: DEMO_CLUSTER + STORE(selects), registry: REGISTRY });
  sim.advance(30_000);
  sim.inject({ family: "db_latency", target: "store/api-db" });
  for (let t = 0; t < 90_000; t += 1000) sim.advance(1000);
  const platform = createKubernetesPlatform({
    kube: createKubeClients({ kind: "string", yaml: sim.kubeconfig() }),
    policy: POLICY,
  });
  const evidence = await platform.investigate(front, [alert]);
  const decision = await new HeuristicPlanner().decide({
    incident: {} as Incident,
    target: front,
    evidence,
    recalled: [],
    policy: POLICY,
  });
  return { evidence, decision };
}

describe("a dependency chain: a slow caller, a slow callee, the callee's slow database", () => {
  it("the chain is followed to the database, failed over by its own evidence; neither front nor api is touched", async () => {
    const { evidence, decision } = await frontsAlert("primary");
    expect(evidence.signals.find((s) => s.name === "dependency_slow")?.value).toBe("api");
    expect(evidence.dependency?.target.key).toBe("k8s::store/deployment/api-db-primary");
    expect(evidence.dependency?.signals.map((s) => s.name)).toContain("db_slow");
    expect(decision.action).toBe("failover_database");
    expect(decision.actsOn?.key).toBe("k8s::store/deployment/api-db-primary");
    expect(decision.rationale).toMatch(/api's own evidence points on to api-db-primary/);
  });

  it("look-alike: the slow database already runs on its secondary → nothing left to fail over: escalated, nothing acted on", async () => {
    const { evidence, decision } = await frontsAlert("secondary");
    expect(evidence.dependency?.signals.map((s) => s.name)).toEqual(
      expect.arrayContaining(["db_slow", "db_on_secondary"]),
    );
    expect(decision.action).toBe("none");
    expect(decision.actsOn).toBeUndefined();
  });
});
