import { describe, expect, it } from "vitest";
import { deployment } from "../../helpers/kubeManifests.ts";
import { clusterManifests, useVirtualSim, walk } from "./helpers.ts";

// Workloads calling the Kubernetes API with their own ServiceAccount, judged by the cluster's Roles and
// bindings; read with the real kubectl on a virtual clock.
const FIXTURE = `
${clusterManifests(2, ["mon"])}---
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  bitnami/kubectl:1.31:
    kubeApi:
      - verb: list
        resource: pods
        onForbidden: log
        log: ["$message", "ERROR: Permission denied - cannot list pods"]
  ghcr.io/acme/reporter:1.0:
    kubeApi: [{ verb: list, resource: secrets, namespace: "" }]
  ghcr.io/acme/api:1.0:
    kubeApi: [{ verb: get, resource: configmaps, name: flags, onForbidden: errors, share: 0.5 }]
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: monitoring-sa, namespace: mon }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: monitoring-role, namespace: mon }
rules:
  - { apiGroups: [""], resources: [pods], verbs: [get] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: monitoring-rolebinding, namespace: mon }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: monitoring-role }
subjects: [{ kind: ServiceAccount, name: monitoring-sa, namespace: mon }]
`;

const { start, run, k, apply } = useVirtualSim(FIXTURE);

/** A Deployment of one container `name` in mon, running as ServiceAccount `sa` (the namespace's default if none). */
const workload = (name: string, image: string, sa?: string) =>
  deployment(name, "mon", [{ name, image }], { pod: sa ? { serviceAccountName: sa } : {} });
const job = (name: string, image: string, sa: string) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace: "mon" },
  spec: {
    backoffLimit: 0,
    template: {
      spec: { serviceAccountName: sa, restartPolicy: "Never", containers: [{ name, image }] },
    },
  },
});
const FORBIDDEN_LIST_PODS =
  'pods is forbidden: User "system:serviceaccount:mon:monitoring-sa" cannot list resource "pods" in API group "" in the namespace "mon"';

describe("workloads' own ServiceAccounts against the cluster's RBAC", () => {
  it("a role with get but not list: the agent's loop logs the API server's 403 until the Role grants list", async () => {
    const s = await start();
    await apply(workload("monitoring-agent", "bitnami/kubectl:1.31", "monitoring-sa"));
    walk(s, 40_000);
    // The process keeps running (its loop only logs), so nothing but the log shows it.
    expect(await k("-n", "mon", "get", "pods", "-l", "app=monitoring-agent")).toMatch(/1\/1\s+Running\s+0/);
    const logs = await k("-n", "mon", "logs", "deploy/monitoring-agent");
    expect(logs).toContain(FORBIDDEN_LIST_PODS);
    expect(logs).toContain("ERROR: Permission denied - cannot list pods");
    // The fix is an RBAC change: the next lines are clean.
    const fix = await run([
      "-n",
      "mon",
      "patch",
      "role",
      "monitoring-role",
      "--type",
      "json",
      "-p",
      JSON.stringify([{ op: "add", path: "/rules/0/verbs/-", value: "list" }]),
    ]);
    expect(fix.code, fix.stderr).toBe(0);
    walk(s, 30_000);
    const tail = await k("-n", "mon", "logs", "deploy/monitoring-agent", "--tail=2");
    expect(tail).not.toContain("forbidden");
    expect(tail).toMatch(/INFO served/);
  });

  it("a process that exits on a refusal fails its Job, with the message in its log; a ClusterRoleBinding fixes the next run", async () => {
    const s = await start();
    await apply(job("report", "ghcr.io/acme/reporter:1.0", "monitoring-sa"));
    walk(s, 20_000);
    expect(await k("-n", "mon", "get", "job", "report")).toMatch(/report\s+Failed/);
    expect(await k("-n", "mon", "logs", "job/report")).toContain(
      'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:mon:monitoring-sa" cannot list resource "secrets" in API group "" at the cluster scope',
    );
    // A RoleBinding cannot grant a request across all namespaces; a ClusterRoleBinding can.
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "secret-reader" },
      rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }],
    });
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "secret-reader", namespace: "mon" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "secret-reader" },
      subjects: [{ kind: "ServiceAccount", name: "monitoring-sa", namespace: "mon" }],
    });
    await apply(job("report-2", "ghcr.io/acme/reporter:1.0", "monitoring-sa"));
    walk(s, 20_000);
    expect(await k("-n", "mon", "get", "job", "report-2")).toMatch(/report-2\s+Failed/);
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "secret-reader" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "secret-reader" },
      subjects: [{ kind: "ServiceAccount", name: "monitoring-sa", namespace: "mon" }],
    });
    await apply(job("report-3", "ghcr.io/acme/reporter:1.0", "monitoring-sa"));
    walk(s, 20_000);
    expect(await k("-n", "mon", "get", "pods", "-l", "job-name=report-3")).toMatch(/1\/1\s+Running/);
  });

  it("a server whose requests need a refused call answers them 500 and logs why", async () => {
    const s = await start();
    await apply(workload("api", "ghcr.io/acme/api:1.0"));
    walk(s, 30_000);
    expect(await k("-n", "mon", "logs", "deploy/api")).toContain(
      'configmaps "flags" is forbidden: User "system:serviceaccount:mon:default" cannot get resource "configmaps" in API group "" in the namespace "mon"',
    );
    const metrics = await k("get", "--raw", "/metrics");
    expect(metrics).toMatch(
      /http_requests_total\{namespace="mon",service="api",pod="api-[^"]+",code="500"\} [1-9]/,
    );
  });

  it("a pod naming a ServiceAccount that does not exist is refused at admission until it is created", async () => {
    const s = await start();
    await apply(job("get-data", "curlimages/curl:8.8.0", "get-data-service-account"));
    walk(s, 5000);
    const events = await k("-n", "mon", "get", "events", "--field-selector", "involvedObject.name=get-data");
    expect(events).toContain(
      'FailedCreate   job/get-data   Error creating: pods "get-data-" is forbidden: error looking up service account mon/get-data-service-account: serviceaccount "get-data-service-account" not found',
    );
    expect(await k("-n", "mon", "get", "pods", "-l", "job-name=get-data")).toBe("");
    // A bare pod through the API gets the same refusal.
    const bare = await run(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "lonely", namespace: "mon" },
        spec: { serviceAccountName: "nobody", containers: [{ name: "c", image: "busybox" }] },
      }),
    );
    expect(bare.stderr).toContain(
      'pods "lonely" is forbidden: error looking up service account mon/nobody: serviceaccount "nobody" not found',
    );
    await apply({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "get-data-service-account", namespace: "mon" },
    });
    walk(s, 15_000);
    expect(await k("-n", "mon", "get", "events", "--field-selector", "involvedObject.name=get-data")).toMatch(
      /SuccessfulCreate\s+job\/get-data\s+Created pod: get-data-/,
    );
  });
});
