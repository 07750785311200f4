import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeSim, resourceOf } from "@aegisops/kube-sim";
import { kubectl, kubectlEnv, settled, startFastSim, waitFor } from "./helpers.ts";

// The healer's account: read most things cluster-wide, evict pods anywhere, delete pods only in "shop".
const RBAC = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: aegis, namespace: aegis }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: aegis-reader }
rules:
  - apiGroups: [""]
    resources: [pods, pods/log, nodes, events]
    verbs: [get, list, watch]
  - apiGroups: [apps]
    resources: [deployments, replicasets]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [pods/eviction]
    verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: aegis-reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aegis-reader }
subjects: [{ kind: ServiceAccount, name: aegis, namespace: aegis }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: pod-restarter, namespace: shop }
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: aegis-pod-restarter, namespace: shop }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-restarter }
subjects: [{ kind: ServiceAccount, name: aegis, namespace: aegis }]
`;

let sim: KubeSim;
let env: ReturnType<typeof kubectlEnv>;
// Live web pods only: a pod an earlier test deleted may still be terminating (or already gone) when the next
// test picks one, and evicting that one answers differently depending on timing.
const podNames = () =>
  sim.ctx.store
    .list(resourceOf("Pod"), "shop")
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name)
    .filter((n) => n.startsWith("web-"));

beforeAll(async () => {
  sim = await startFastSim({ rbac: RBAC });
  await settled(sim);
  env = kubectlEnv(sim, sim.tokenFor("aegis", "aegis"));
});
afterAll(async () => {
  await sim.stop();
  env.cleanup();
});

describe("RBAC with --rbac", () => {
  it("lets the ServiceAccount do what its roles grant, and refuses the rest with 403 like the API server", async () => {
    const list = await kubectl(env, ["get", "pods", "-n", "shop"]);
    expect(list.code, list.stderr).toBe(0);
    const del = await kubectl(env, ["delete", "pod", "-n", "shop", podNames()[0]!, "--wait=false"]);
    expect(del.code, del.stderr).toBe(0);

    const delDeploy = await kubectl(env, ["delete", "deployment", "web", "-n", "shop"]);
    expect(delDeploy.code).toBe(1);
    expect(delDeploy.stderr).toContain(
      'Error from server (Forbidden): deployments.apps "web" is forbidden: User "system:serviceaccount:aegis:aegis" cannot delete resource "deployments" in API group "apps" in the namespace "shop"',
    );
    const cordon = await kubectl(env, ["cordon", "sim-node-1"]);
    // kubectl 1.32 prints the 403 but exits 0 from cordon; the node must stay schedulable.
    expect(sim.ctx.store.get(resourceOf("Node"), undefined, "sim-node-1")?.spec).not.toMatchObject({
      unschedulable: true,
    });
    expect(cordon.stderr).toContain('cannot patch resource "nodes" in API group "" at the cluster scope');
    const otherNs = await kubectl(env, ["delete", "pod", "-n", "kube-system", "-l", "app=node-exporter"]);
    expect(otherNs.stderr).toContain("Forbidden");
  });

  it("refuses unknown tokens with 401", async () => {
    const bad = kubectlEnv(sim, "not-a-token");
    try {
      const r = await kubectl(bad, ["get", "pods"]);
      expect(r.code).toBe(1);
      // kubectl words a 401 as "the server has asked for the client to provide credentials".
      expect(r.stderr).toContain("the server has asked for the client to provide credentials");
    } finally {
      bad.cleanup();
    }
  });

  it("applies to @kubernetes/client-node calls too (eviction allowed, node patch forbidden)", async () => {
    // The first test deleted a web pod: until its replacement is available the PodDisruptionBudget refuses an
    // eviction with 429, as the API server does.
    await settled(sim);
    await waitFor(
      () =>
        (
          sim.ctx.store.get(resourceOf("PodDisruptionBudget"), "shop", "web") as
            { status?: { disruptionsAllowed?: number } } | undefined
        )?.status?.disruptionsAllowed,
      "the web PodDisruptionBudget to allow a disruption",
    );
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig({ token: sim.tokenFor("aegis", "aegis") }));
    const core = kc.makeApiClient(CoreV1Api);
    const name = podNames()[0]!;
    await core.createNamespacedPodEviction({
      name,
      namespace: "shop",
      body: { metadata: { name, namespace: "shop" } },
    });
    const err = await core
      .patchNode({ name: "sim-node-1", body: [{ op: "add", path: "/spec/unschedulable", value: true }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(403);
    expect(JSON.parse((err as ApiException<string>).body)).toMatchObject({
      kind: "Status",
      reason: "Forbidden",
      code: 403,
    });
  });
});
