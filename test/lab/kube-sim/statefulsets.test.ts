import { describe, expect, it } from "vitest";
import { clusterManifests } from "../../helpers/kubeManifests.ts";
import { useVirtualSim, walk } from "./helpers.ts";

// StatefulSets with claims, driven with the real kubectl on a virtual clock.
const FIXTURE = `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/db:1.0.0: {}
  ghcr.io/acme/db:1.1.0: { exit: { code: 1, logs: ["FATAL data directory was initialized by an incompatible version"] } }
---
${clusterManifests(1, ["data"])}`;

const sts = (name: string, claim: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: "data" },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: "db",
              image: "ghcr.io/acme/db:1.0.0",
              volumeMounts: [{ name: "data", mountPath: "/var/lib/db" }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...claim },
        },
      ],
    },
  });

const { start, run, k } = useVirtualSim(FIXTURE);
const podNames = async () =>
  (await k("-n", "data", "get", "pods", "-o", "name")).trim().split("\n").filter(Boolean);

describe("StatefulSets", () => {
  it("creates pods in order, each with its own bound claim; rollout status completes", async () => {
    const s = await start();
    expect((await run(["apply", "-f", "-"], sts("db"))).code).toBe(0);
    s.advance(1000);
    expect(await podNames()).toEqual(["pod/db-0"]); // OrderedReady: db-1 waits for db-0 to be Ready
    walk(s, 20_000);
    expect(await podNames()).toEqual(["pod/db-0", "pod/db-1", "pod/db-2"]);
    const pvc = await k("-n", "data", "get", "pvc");
    expect(pvc.split("\n")[0]).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS/);
    for (const i of [0, 1, 2])
      expect(pvc).toMatch(new RegExp(`data-db-${i}\\s+Bound\\s+pvc-\\S+\\s+1Gi\\s+RWO\\s+standard`));
    expect(await k("get", "storageclass")).toMatch(
      /standard \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer/,
    );
    expect(await k("-n", "data", "get", "sts")).toMatch(/db\s+3\/3/);
    expect(await k("-n", "data", "rollout", "status", "sts/db", "--timeout=5s")).toMatch(
      /partitioned roll out complete: 3 new pods have been updated|statefulset rolling update complete 3 pods at revision db-/,
    );
    expect(
      await k("-n", "data", "get", "events", "--field-selector", "involvedObject.kind=StatefulSet"),
    ).toMatch(
      /SuccessfulCreate\s+statefulset\/db\s+create Claim data-db-0 Pod db-0 in StatefulSet db success/,
    );
  });

  it("a broken revision stalls at the highest ordinal; undo alone stays stuck until the broken pod is deleted", async () => {
    const s = await start();
    expect((await run(["apply", "-f", "-"], sts("db"))).code).toBe(0);
    walk(s, 20_000);
    await k("-n", "data", "set", "image", "sts/db", "db=ghcr.io/acme/db:1.1.0");
    walk(s, 30_000);
    const pods = await k("-n", "data", "get", "pods");
    expect(pods).toMatch(/db-2\s+0\/1\s+CrashLoopBackOff/);
    expect(pods).toMatch(/db-1\s+1\/1\s+Running/);
    const image = (p: string) =>
      k("-n", "data", "get", "pod", p, "-o", "jsonpath={.spec.containers[0].image}");
    expect(await image("db-1")).toBe("ghcr.io/acme/db:1.0.0");
    const stalled = await run(["-n", "data", "rollout", "status", "sts/db", "--timeout=1s"]);
    expect(stalled.code).not.toBe(0);
    expect(stalled.stdout).toMatch(/Waiting for 1 pods to be ready/);
    expect(await k("-n", "data", "rollout", "history", "sts/db")).toMatch(/REVISION[\s\S]*1\s[\s\S]*2\s/);

    expect(await k("-n", "data", "rollout", "undo", "sts/db")).toMatch(/statefulset.apps\/db rolled back/);
    walk(s, 30_000);
    // The StatefulSet waits for db-2 to become Ready before replacing it: the forced-rollback rule.
    expect(await image("db-2")).toBe("ghcr.io/acme/db:1.1.0");
    expect(await k("-n", "data", "get", "pods")).toMatch(/db-2\s+0\/1\s+CrashLoopBackOff/);
    await k("-n", "data", "delete", "pod", "db-2", "--wait=false");
    walk(s, 35_000);
    expect(await image("db-2")).toBe("ghcr.io/acme/db:1.0.0");
    expect(await k("-n", "data", "rollout", "status", "sts/db", "--timeout=5s")).toMatch(/complete/);
  });

  it("a claim of a missing StorageClass stays Pending and its pod unschedulable, as the scheduler words it", async () => {
    const s = await start();
    expect((await run(["apply", "-f", "-"], sts("cache", { storageClassName: "fast-ssd" }))).code).toBe(0);
    walk(s, 20_000);
    expect(await podNames()).toEqual(["pod/cache-0"]);
    expect(await k("-n", "data", "get", "pvc")).toMatch(/data-cache-0\s+Pending\s+fast-ssd/);
    const events = await k("-n", "data", "get", "events");
    expect(events).toMatch(
      /ProvisioningFailed\s+persistentvolumeclaim\/data-cache-0\s+storageclass.storage.k8s.io "fast-ssd" not found/,
    );
    expect(events).toMatch(
      /FailedScheduling\s+pod\/cache-0\s+0\/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0\/1 nodes are available: 1 Preemption is not helpful for scheduling./,
    );
    expect(await k("-n", "data", "get", "pods")).toMatch(/cache-0\s+0\/1\s+Pending/);
  });
});
