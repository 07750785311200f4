import { describe, expect, it } from "vitest";
import { resourceOf as resourceOfKind, type Deployment, type Pod } from "@aegisops/kube-sim";
import {
  clusterManifests,
  deployment as deploymentManifest,
  manifests,
  service,
} from "../../helpers/kubeManifests.ts";
import type { KubectlResult } from "./helpers.ts";
import { kubectlStream, useFastSim, waitFor } from "./helpers.ts";

const APP = {
  name: "app",
  image: "ghcr.io/acme/api:1.0.0",
  ports: [{ containerPort: 8080 }],
  env: [{ name: "MODE", value: "prod" }],
};
const SIDECAR = { name: "sidecar", image: "envoyproxy/envoy:v1.30.1" };
/** The demo namespace's manifests, with api's containers and the LOG_LEVEL its ConfigMap holds. */
const demoManifests = (apiContainers: Array<Record<string, unknown>>, logLevel: string) =>
  manifests(
    clusterManifests(0, ["demo"]),
    deploymentManifest("api", "demo", apiContainers, { replicas: 2 }),
    service("api", "demo"),
    `
apiVersion: v1
kind: ConfigMap
metadata: { name: api-config, namespace: demo }
data: { LOG_LEVEL: ${logLevel} }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: api, namespace: demo }
spec:
  minAvailable: 1
  selector: { matchLabels: { app: api } }`,
    deploymentManifest("worker", "demo", [{ name: "worker", image: "ghcr.io/acme/worker:2.1.0" }]),
    `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: worker, namespace: demo }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: worker }
  minReplicas: 2
  maxReplicas: 5
  metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 80 } } }]`,
  );
const MANIFESTS = demoManifests([APP, SIDECAR], "info");

const shared = useFastSim();
const k = (...args: string[]) => shared.run(args);
const ok = (r: KubectlResult) => {
  expect(r.stderr.replace(/^W\d+.*very short watch.*$/gm, "").trim() === "" || r.code === 0, r.stderr).toBe(
    true,
  );
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
const header = (out: string) =>
  out
    .split("\n")[0]!
    .trim()
    .split(/\s{2,}/);

const deployment = (ns: string, name: string) =>
  shared.sim.ctx.store.get(resourceOfKind("Deployment"), ns, name) as Deployment;
const pods = (ns: string, app: string) =>
  (shared.sim.ctx.store.list(resourceOfKind("Pod"), ns) as Pod[]).filter(
    (p) => p.metadata.labels?.app === app,
  );

describe("kubectl get and describe", () => {
  it("gets nodes and pods with the real columns", async () => {
    const nodes = ok(await k("get", "nodes"));
    expect(header(nodes)).toEqual(["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    expect(nodes).toMatch(/sim-node-1\s+Ready\s+worker\s+\S+\s+v1\.32\.4/);
    const all = ok(await k("get", "pods", "-A"));
    expect(header(all)).toEqual(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(all).toMatch(/shop\s+web-\S+\s+1\/1\s+Running\s+0/);
    const web = ok(await k("get", "pods", "-n", "shop", "-l", "app=web", "-o", "wide"));
    expect(header(web)).toEqual([
      "NAME",
      "READY",
      "STATUS",
      "RESTARTS",
      "AGE",
      "IP",
      "NODE",
      "NOMINATED NODE",
      "READINESS GATES",
    ]);
    expect(web.trim().split("\n")).toHaveLength(4);
    const deploys = ok(await k("get", "deploy", "-n", "shop"));
    expect(header(deploys)).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    expect(deploys).toMatch(/web\s+3\/3\s+3\s+3/);
    expect(
      ok(
        await k(
          "get",
          "deploy",
          "web",
          "-n",
          "shop",
          "-o",
          "jsonpath={.spec.template.spec.containers[0].image}",
        ),
      ),
    ).toBe("ghcr.io/acme/web:1.4.2");
    expect(ok(await k("get", "pdb,hpa", "-n", "shop"))).toMatch(
      /poddisruptionbudget.policy\/web\s+2\s+N\/A\s+1/,
    );
  });

  it("describes a pod, a deployment and a node", async () => {
    const pod = pods("shop", "web")[0]!;
    const dp = ok(await k("describe", "pod", "-n", "shop", pod.metadata.name));
    expect(dp).toMatch(/Controlled By:\s+ReplicaSet\/web-/);
    expect(dp).toMatch(/Status:\s+Running/);
    expect(dp).toMatch(/Port:\s+8080\/TCP/);
    expect(dp).toMatch(/Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned shop\//);
    const dd = ok(await k("describe", "deployment", "-n", "shop", "web"));
    expect(dd).toMatch(/Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
    expect(dd).toMatch(/NewReplicaSet:\s+web-\S+ \(3\/3 replicas created\)/);
    const dn = ok(await k("describe", "node", "sim-node-1"));
    expect(dn).toMatch(/Ready\s+True\s+.*KubeletReady/);
    expect(dn).toMatch(/Non-terminated Pods:\s+\(\d+ in total\)/);
  });
});

describe("kubectl create, apply and scale", () => {
  it("creates Deployment, Service, ConfigMap, PDB and HPA, and refuses to create them twice", async () => {
    const out = ok(await shared.run(["create", "-f", "-"], MANIFESTS));
    for (const line of [
      "namespace/demo created",
      "deployment.apps/api created",
      "service/api created",
      "configmap/api-config created",
      "poddisruptionbudget.policy/api created",
      "horizontalpodautoscaler.autoscaling/worker created",
    ]) {
      expect(out).toContain(line);
    }
    const again = await shared.run(["create", "-f", "-"], MANIFESTS);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'Error from server (AlreadyExists): error when creating "STDIN": deployments.apps "api" already exists',
    );
    ok(await k("rollout", "status", "deployment/api", "-n", "demo", "--timeout=20s"));
  });

  it("applies manifests: configured, then unchanged, with strategic merge patches", async () => {
    const first = ok(await shared.run(["apply", "-f", "-"], MANIFESTS));
    expect(first).toContain("deployment.apps/api configured");
    const changed = demoManifests([APP, SIDECAR], "debug");
    const second = ok(await shared.run(["apply", "-f", "-"], changed));
    expect(second).toContain("configmap/api-config configured");
    expect(second).toContain("deployment.apps/api unchanged");
    expect(ok(await k("get", "cm", "api-config", "-n", "demo", "-o", "jsonpath={.data.LOG_LEVEL}"))).toBe(
      "debug",
    );
    // Removing the sidecar from the manifest deletes it from the live object ($patch: delete).
    const noSidecar = demoManifests([APP], "debug");
    ok(await shared.run(["apply", "-f", "-"], noSidecar));
    expect(deployment("demo", "api").spec.template.spec.containers.map((c) => c.name)).toEqual(["app"]);
    ok(await shared.run(["apply", "-f", "-"], changed));
    expect(deployment("demo", "api").spec.template.spec.containers.map((c) => c.name)).toEqual([
      "app",
      "sidecar",
    ]);
    ok(await k("rollout", "status", "deployment/api", "-n", "demo", "--timeout=20s"));
  });

  it("scales a deployment through the scale subresource", async () => {
    expect(ok(await k("scale", "deployment/api", "-n", "demo", "--replicas=3"))).toContain(
      "deployment.apps/api scaled",
    );
    ok(await k("rollout", "status", "deployment/api", "-n", "demo", "--timeout=20s"));
    expect(pods("demo", "api").filter((p) => p.status?.phase === "Running")).toHaveLength(3);
  });
});

describe("kubectl rollouts", () => {
  it("sets an image (containers merged by name), waits for the rollout, keeps history and undoes it", async () => {
    expect(
      ok(await k("set", "image", "deployment/api", "-n", "demo", "app=ghcr.io/acme/api:1.1.0")),
    ).toContain("image updated");
    const status = ok(await k("rollout", "status", "deployment/api", "-n", "demo", "--timeout=30s"));
    expect(status).toContain('deployment "api" successfully rolled out');
    const d = deployment("demo", "api");
    expect(d.spec.template.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ["app", "ghcr.io/acme/api:1.1.0"],
      ["sidecar", "envoyproxy/envoy:v1.30.1"],
    ]);
    expect(d.spec.template.spec.containers[0]!.ports).toEqual([{ containerPort: 8080, protocol: "TCP" }]);
    expect(pods("demo", "api").every((p) => p.spec.containers[0]!.image === "ghcr.io/acme/api:1.1.0")).toBe(
      true,
    );
    const revisions = (out: string) => [...out.matchAll(/^(\d+)\s+<none>/gm)].map((m) => Number(m[1]));
    const history = revisions(ok(await k("rollout", "history", "deployment/api", "-n", "demo")));
    expect(history.length).toBeGreaterThanOrEqual(2);
    const top = Math.max(...history);

    expect(ok(await k("rollout", "undo", "deployment/api", "-n", "demo"))).toContain("rolled back");
    ok(await k("rollout", "status", "deployment/api", "-n", "demo", "--timeout=30s"));
    expect(deployment("demo", "api").spec.template.spec.containers[0]!.image).toBe("ghcr.io/acme/api:1.0.0");
    expect(deployment("demo", "api").metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe(
      String(top + 1),
    );
    expect(revisions(ok(await k("rollout", "history", "deployment/api", "-n", "demo")))).not.toContain(
      top - 1,
    );
    // The old ReplicaSet is reused (its revision moves to the top), not duplicated.
    expect(
      ok(await k("get", "rs", "-n", "demo", "-l", "app=api", "--no-headers"))
        .trim()
        .split("\n"),
    ).toHaveLength(history.length);
  });

  it("restarts a rollout (new ReplicaSet from the restartedAt annotation)", async () => {
    const before = new Set(pods("demo", "api").map((p) => p.metadata.name));
    expect(ok(await k("rollout", "restart", "deployment/api", "-n", "demo"))).toContain("restarted");
    ok(await k("rollout", "status", "deployment/api", "-n", "demo", "--timeout=30s"));
    const after = pods("demo", "api");
    expect(after).toHaveLength(3);
    expect(after.some((p) => before.has(p.metadata.name))).toBe(false);
    expect(after[0]!.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
  });
});

describe("kubectl node operations", () => {
  it("cordons and uncordons: a cordoned node gets no new pods", async () => {
    expect(ok(await k("cordon", "sim-node-3"))).toContain("node/sim-node-3 cordoned");
    expect(ok(await k("cordon", "sim-node-3"))).toContain("already cordoned");
    expect(ok(await k("get", "node", "sim-node-3"))).toMatch(/Ready,SchedulingDisabled/);
    const before = new Set(pods("demo", "api").map((p) => p.metadata.name));
    ok(await k("scale", "deployment/api", "-n", "demo", "--replicas=5"));
    ok(await k("rollout", "status", "deployment/api", "-n", "demo", "--timeout=20s"));
    const fresh = pods("demo", "api").filter((p) => !before.has(p.metadata.name));
    expect(fresh).toHaveLength(2);
    expect(fresh.filter((p) => p.spec.nodeName === "sim-node-3")).toHaveLength(0);
    expect(ok(await k("uncordon", "sim-node-3"))).toContain("node/sim-node-3 uncordoned");
    expect(ok(await k("get", "node", "sim-node-3", "-o", "jsonpath={.spec.unschedulable}"))).toBe("");
    ok(await k("scale", "deployment/api", "-n", "demo", "--replicas=3"));
  });

  it("drains through evictions: a PDB with no disruption left blocks it (429), a relaxed one lets it finish", async () => {
    // web has 3 pods, one per node; with minAvailable 3 no web pod may be evicted.
    ok(await k("patch", "pdb", "web", "-n", "shop", "--type=merge", "-p", '{"spec":{"minAvailable":3}}'));
    await waitFor(
      () =>
        (
          shared.sim.ctx.store.get(resourceOfKind("PodDisruptionBudget"), "shop", "web")?.status as {
            disruptionsAllowed: number;
          }
        ).disruptionsAllowed === 0,
      "PDB to allow no disruption",
    );
    const node = pods("shop", "web")[0]!.spec.nodeName!;
    const blocked = await k("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=2s");
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(pods("shop", "web").filter((p) => p.spec.nodeName === node)).toHaveLength(1);

    ok(await k("patch", "pdb", "web", "-n", "shop", "--type=merge", "-p", '{"spec":{"minAvailable":2}}'));
    const drained = await k("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=30s");
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toMatch(/evicting pod shop\/web-/);
    expect(drained.stdout).toContain(`node/${node} drained`);
    expect(drained.stderr).toContain("ignoring DaemonSet-managed Pods: kube-system/node-exporter-");
    const left = (shared.sim.ctx.store.list(resourceOfKind("Pod")) as Pod[]).filter(
      (p) => p.spec.nodeName === node,
    );
    expect(left.every((p) => p.metadata.ownerReferences?.[0]?.kind === "DaemonSet")).toBe(true);
    await waitFor(
      () =>
        pods("shop", "web").filter((p) =>
          p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
        ).length === 3,
      "web back to 3 ready pods elsewhere",
    );
    ok(await k("uncordon", node));
  });
});

describe("kubectl get -w", () => {
  it("streams Table rows (real columns) as pods change", async () => {
    const watch = kubectlStream(shared.env, ["get", "pods", "-n", "shop", "-l", "app=checkout", "-w"]);
    try {
      await waitFor(() => watch.output().includes("READY"), "the initial table");
      const victim = pods("shop", "checkout")[0]!.metadata.name;
      ok(await k("delete", "pod", "-n", "shop", victim));
      await waitFor(
        () => new RegExp(`${victim}\\s+\\S+\\s+Terminating`).test(watch.output()),
        "a Terminating row",
      );
      await waitFor(
        () => /checkout-\S+\s+0\/1\s+(Pending|ContainerCreating)\s+0/.test(watch.output()),
        `the replacement's row in:\n${watch.output()}`,
      );
    } finally {
      await watch.stop();
    }
  });
});

describe("kubectl logs", () => {
  it("prints the current log (defaulting the container) and the previous one after a crash", async () => {
    const pod = pods("demo", "api")[0]!;
    const cur = await k("logs", "-n", "demo", pod.metadata.name, "--tail=5");
    expect(cur.code).toBe(0);
    expect(cur.stderr).toContain('Defaulted container "app" out of: app, sidecar');
    expect(cur.stdout).toContain("INFO starting api (image ghcr.io/acme/api:1.0.0)");
    const none = await k("logs", "-n", "demo", pod.metadata.name, "--previous");
    expect(none.code).toBe(1);

    shared.sim.inject({ family: "crashloop", target: "shop/checkout" });
    const crashed = await waitFor(
      () => pods("shop", "checkout").find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1),
      "a checkout pod to restart",
    );
    const prev = ok(await k("logs", "-n", "shop", crashed.metadata.name, "--previous"));
    expect(prev).toContain("panic: runtime error: invalid memory address or nil pointer dereference");
    const table = ok(await k("get", "pods", "-n", "shop", "-l", "app=checkout"));
    await waitFor(
      async () =>
        /CrashLoopBackOff|Error/.test(ok(await k("get", "pods", "-n", "shop", "-l", "app=checkout"))),
      "CrashLoopBackOff in kubectl get",
    );
    expect(table).toMatch(/checkout-/);
  });
});
