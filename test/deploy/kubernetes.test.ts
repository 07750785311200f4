import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { policySchema } from "../../agent/policy/schema.ts";
import { startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { createKubeClients } from "../../tools/kubernetes/client.ts";
import { kubeStatus } from "../../tools/kubernetes/kubeErrors.ts";

const DIR = new URL("../../deploy/kubernetes/base/", import.meta.url);
interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}
const manifests: Manifest[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((f) => parseAllDocuments(readFileSync(new URL(f, DIR), "utf8")).map((d) => d.toJS() as Manifest))
  .filter(Boolean);
const one = (kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Manifest & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe("deploy/kubernetes manifests", () => {
  it("the Deployment runs as the ServiceAccount the ClusterRole is bound to, in its namespace", () => {
    const deployment = one("Deployment");
    const sa = one("ServiceAccount");
    const binding = one("ClusterRoleBinding");
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    expect(deployment.metadata.namespace).toBe(sa.metadata.namespace);
    expect(binding.subjects).toContainEqual({
      kind: "ServiceAccount",
      name: sa.metadata.name,
      namespace: sa.metadata.namespace,
    });
    expect(binding.roleRef).toMatchObject({ kind: "ClusterRole", name: one("ClusterRole").metadata.name });
  });

  it("runs non-root, probes /healthz on the port it listens on, and reads in-cluster config (no KUBECONFIG)", () => {
    const deployment = one("Deployment");
    const pod = deployment.spec.template.spec;
    const c = pod.containers[0];
    const env = Object.fromEntries(
      (c.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
    );
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.readinessProbe.httpGet.path).toBe("/healthz");
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(env.AEGIS_HOST).toBe("0.0.0.0");
    expect(c.ports.map((p: { containerPort: number }) => String(p.containerPort))).toContain(env.AEGIS_PORT);
    expect(env.KUBECONFIG).toBeUndefined();
    expect(deployment.spec.replicas).toBe(1);
  });

  it("the policy it mounts is a valid policy file", () => {
    const cm = one("ConfigMap");
    const [doc] = parseAllDocuments(cm.data["policy.yaml"] as string);
    expect(() => policySchema.parse(doc?.toJS() ?? {})).not.toThrow();
  });

  it("the ClusterRole grants no wildcards and nothing on Secrets", () => {
    const rules = one("ClusterRole").rules as Array<{ resources: string[]; verbs: string[] }>;
    for (const r of rules) {
      expect(r.verbs).not.toContain("*");
      expect(r.resources).not.toContain("*");
      expect(r.resources).not.toContain("secrets");
    }
  });
});

describe("the ServiceAccount's token against the simulator's RBAC", () => {
  let sim: KubeSim;
  let kube: ReturnType<typeof createKubeClients>;
  beforeAll(async () => {
    sim = await startKubeSim({
      clock: "virtual",
      rbac: readFileSync(new URL("rbac.yaml", DIR), "utf8"),
      tls: false,
    });
    kube = createKubeClients({
      kind: "string",
      yaml: sim.kubeconfig({ token: sim.tokenFor("aegisops", "aegisops") }),
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("may read what investigation reads", async () => {
    const pods = await kube.core.listNamespacedPod({ namespace: "shop" });
    expect(pods.items.length).toBeGreaterThan(0);
  });

  it("a call beyond the role gets 403: deleting a namespace, reading a Secret", async () => {
    const del = await kube.core.deleteNamespace({ name: "shop" }).catch((e: unknown) => e);
    expect(kubeStatus(del)).toBe(403);
    const secret = await kube.core
      .readNamespacedSecret({ name: "web-db", namespace: "shop" })
      .catch((e: unknown) => e);
    expect(kubeStatus(secret)).toBe(403);
    const admin = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
    expect((await admin.core.readNamespace({ name: "shop" })).metadata?.name).toBe("shop");
  });
});
