import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { createKubeClients } from "../../tools/kubernetes/client.ts";

const run = promisify(execFile);
const OVERLAY = fileURLToPath(new URL("../../deploy/kubernetes/overlays/single-sqlite", import.meta.url));

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe("Kustomize install (deploy/kubernetes/overlays/single-sqlite)", () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    sim = await startKubeSim({ clock: "virtual", tls: false });
    dir = mkdtempSync(join(tmpdir(), "aegis-kustomize-"));
    kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, sim.kubeconfig());
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("`kubectl kustomize` renders one replica whose database is on a PersistentVolumeClaim", async () => {
    const { stdout } = await run("kubectl", ["kustomize", OVERLAY]);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Manifest);
    const deployment = docs.find((d) => d.kind === "Deployment")!;
    const pvc = docs.find((d) => d.kind === "PersistentVolumeClaim")!;
    expect(deployment.spec!.replicas).toBe(1);
    const data = deployment.spec!.template.spec.volumes.find((v: { name: string }) => v.name === "data");
    expect(data.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    expect(pvc.metadata.namespace).toBe(deployment.metadata.namespace);
    for (const kind of [
      "Namespace",
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "ConfigMap",
      "Service",
    ]) {
      expect(docs.map((d) => d.kind)).toContain(kind);
    }
  });

  it("`kubectl apply -k` installs it into a cluster", async () => {
    const { stdout } = await run("kubectl", ["--kubeconfig", kubeconfig, "apply", "-k", OVERLAY]);
    expect(stdout).toMatch(/deployment\.apps\/aegisops created/);
    const kube = createKubeClients({ kind: "string", yaml: readFileSync(kubeconfig, "utf8") });
    const deployment = await kube.apps.readNamespacedDeployment({ name: "aegisops", namespace: "aegisops" });
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe("aegisops");
    // Applying again changes nothing: the install is declarative.
    const again = await run("kubectl", ["--kubeconfig", kubeconfig, "apply", "-k", OVERLAY]);
    expect(again.stdout).toMatch(/deployment\.apps\/aegisops unchanged/);
  });
});

const HA_OVERLAY = fileURLToPath(new URL("../../deploy/kubernetes/overlays/ha-postgres", import.meta.url));

describe("Kustomize install (deploy/kubernetes/overlays/ha-postgres)", () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    sim = await startKubeSim({ clock: "virtual", tls: false });
    dir = mkdtempSync(join(tmpdir(), "aegis-kustomize-ha-"));
    kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, sim.kubeconfig());
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("`kubectl kustomize` renders several replicas on PostgreSQL from a Secret, rolling, with a disruption budget", async () => {
    const { stdout } = await run("kubectl", ["kustomize", HA_OVERLAY]);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Manifest);
    const deployment = docs.find((d) => d.kind === "Deployment")!;
    expect(deployment.spec!.replicas).toBeGreaterThanOrEqual(2);
    // Several writers are safe on PostgreSQL: no Recreate (which would stop every replica at once).
    expect(deployment.spec!.strategy.type).toBe("RollingUpdate");
    const env = deployment.spec!.template.spec.containers[0].env as Array<{
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
    }>;
    const url = env.find((e) => e.name === "AEGIS_DATABASE_URL")!;
    expect(url.value).toBeUndefined();
    expect(url.valueFrom!.secretKeyRef).toEqual({ name: "aegisops-postgres", key: "url" });
    expect(env.find((e) => e.name === "AEGIS_REPLICA_ID")!.valueFrom!.fieldRef!.fieldPath).toBe(
      "metadata.name",
    );
    const pdb = docs.find((d) => d.kind === "PodDisruptionBudget")!;
    expect(pdb.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(pdb.spec!.selector.matchLabels).toEqual(deployment.spec!.selector.matchLabels);
    expect(pdb.spec!.maxUnavailable ?? deployment.spec!.replicas - pdb.spec!.minAvailable).toBeLessThan(
      deployment.spec!.replicas,
    );
  });

  it("`kubectl apply -k` installs it into a cluster", async () => {
    const { stdout } = await run("kubectl", ["--kubeconfig", kubeconfig, "apply", "-k", HA_OVERLAY]);
    expect(stdout).toMatch(/deployment\.apps\/aegisops created/);
    expect(stdout).toMatch(/poddisruptionbudget\.policy\/aegisops created/);
    const kube = createKubeClients({ kind: "string", yaml: readFileSync(kubeconfig, "utf8") });
    const deployment = await kube.apps.readNamespacedDeployment({ name: "aegisops", namespace: "aegisops" });
    expect(deployment.spec?.replicas).toBe(3);
  });
});
