import { describe, expect, it } from "vitest";
import { clusterManifests, deployment, manifests } from "../../helpers/kubeManifests.ts";
import { useVirtualSim, walk } from "./helpers.ts";

// Statically provisioned PersistentVolumes: binding, Released after the claim is gone, and what a claim
// re-created for a Released volume shows; read with the real kubectl on a virtual clock.
const FIXTURE = clusterManifests(2);

const APP = `
apiVersion: v1
kind: Namespace
metadata: { name: hotel }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: geo-pvc, namespace: hotel }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: geo-storage
  resources: { requests: { storage: 1Gi } }
---
${manifests(
  deployment("mongodb-geo", "hotel", [{ name: "mongo", image: "mongo:4.4.6" }], {
    pod: { volumes: [{ name: "geo", persistentVolumeClaim: { claimName: "geo-pvc" } }] },
  }),
)}`;

const PV = `
apiVersion: v1
kind: PersistentVolume
metadata: { name: geo-pv }
spec:
  accessModes: [ReadWriteOnce]
  capacity: { storage: 1Gi }
  storageClassName: geo-storage
  hostPath: { path: /data/volumes/geo-pv, type: DirectoryOrCreate }
`;

const { start, run, k, apply } = useVirtualSim(FIXTURE);

describe("statically provisioned PersistentVolumes", () => {
  it("bind, go Released with their old claim when the namespace is deleted, and leave the new claim Pending", async () => {
    const s = await start();
    await apply(PV);
    walk(s, 2000);
    expect(await k("get", "pv", "geo-pv")).toMatch(/geo-pv\s+1Gi\s+RWO\s+Retain\s+Available\s+geo-storage/);
    await apply(APP);
    walk(s, 5000);
    expect(await k("get", "pv", "geo-pv")).toMatch(
      /geo-pv\s+1Gi\s+RWO\s+Retain\s+Bound\s+hotel\/geo-pvc\s+geo-storage/,
    );
    expect(await k("-n", "hotel", "get", "pvc", "geo-pvc")).toMatch(
      /geo-pvc\s+Bound\s+geo-pv\s+1Gi\s+RWO\s+geo-storage/,
    );
    expect(
      await k("-n", "hotel", "get", "deploy", "mongodb-geo", "-o", "jsonpath={.status.readyReplicas}"),
    ).toBe("1");

    const del = await run(["delete", "namespace", "hotel"]);
    expect(del.code, del.stderr).toBe(0);
    walk(s, 2000);
    expect(await k("get", "pv", "geo-pv")).toMatch(
      /geo-pv\s+1Gi\s+RWO\s+Retain\s+Released\s+hotel\/geo-pvc\s+geo-storage/,
    );

    // Redeployed as it was: the claim finds no Available volume of its class, and the class has no object.
    await apply(APP);
    walk(s, 20_000);
    expect(await k("-n", "hotel", "get", "pvc", "geo-pvc")).toMatch(/geo-pvc\s+Pending\s+geo-storage/);
    expect(await k("-n", "hotel", "describe", "pvc", "geo-pvc")).toMatch(
      /Warning\s+ProvisioningFailed\s.*persistentvolume-controller\s+storageclass\.storage\.k8s\.io "geo-storage" not found/,
    );
    expect(await k("-n", "hotel", "describe", "pods", "-l", "app=mongodb-geo")).toContain(
      "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
    expect(await k("get", "pv", "geo-pv", "-o", "jsonpath={.status.phase}")).toBe("Released");
    // kube-state-metrics' series say the same.
    const metrics = await k("get", "--raw", "/metrics");
    expect(metrics).toMatch(
      /kube_persistentvolume_status_phase\{persistentvolume="geo-pv",phase="Released"\} 1/,
    );
    expect(metrics).toMatch(
      /kube_persistentvolumeclaim_status_phase\{namespace="hotel",persistentvolumeclaim="geo-pvc",phase="Pending"\} 1/,
    );

    // An operator clears the stale claimRef: the volume is Available again and the new claim binds.
    const patch = await run([
      "patch",
      "pv",
      "geo-pv",
      "--type",
      "json",
      "-p",
      '[{"op":"remove","path":"/spec/claimRef"}]',
    ]);
    expect(patch.code, patch.stderr).toBe(0);
    walk(s, 10_000);
    expect(await k("-n", "hotel", "get", "pvc", "geo-pvc", "-o", "jsonpath={.status.phase}")).toBe("Bound");
    expect(
      await k("-n", "hotel", "get", "deploy", "mongodb-geo", "-o", "jsonpath={.status.readyReplicas}"),
    ).toBe("1");
  });

  it("a claim naming a volume bound to another claim waits with FailedBinding", async () => {
    const s = await start();
    await apply(PV);
    await apply(APP);
    walk(s, 3000);
    await apply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: thief, namespace: hotel }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: geo-storage
  volumeName: geo-pv
  resources: { requests: { storage: 1Gi } }
`);
    walk(s, 3000);
    expect(await k("-n", "hotel", "get", "pvc", "thief", "-o", "jsonpath={.status.phase}")).toBe("Pending");
    expect(await k("-n", "hotel", "describe", "pvc", "thief")).toMatch(
      /Warning\s+FailedBinding\s.*persistentvolume-controller\s+volume "geo-pv" already bound to a different claim\./,
    );
  });

  it("a dynamically provisioned volume with reclaim policy Delete goes with its claim", async () => {
    const s = await start();
    await apply(`
apiVersion: v1
kind: Namespace
metadata: { name: tmp }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: scratch, namespace: tmp }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 2Gi } }
---
apiVersion: v1
kind: Pod
metadata: { name: user, namespace: tmp }
spec:
  containers: [{ name: c, image: "busybox:1.36" }]
  volumes: [{ name: v, persistentVolumeClaim: { claimName: scratch } }]
`);
    walk(s, 5000);
    const pv = await k("-n", "tmp", "get", "pvc", "scratch", "-o", "jsonpath={.spec.volumeName}");
    expect(pv).toMatch(/^pvc-/);
    await run(["-n", "tmp", "delete", "pod", "user"]);
    await run(["-n", "tmp", "delete", "pvc", "scratch"]);
    walk(s, 2000);
    expect(await k("get", "pv", pv, "--ignore-not-found")).toBe("");
  });
});
