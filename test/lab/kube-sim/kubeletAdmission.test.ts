import { describe, expect, it } from "vitest";
import { clusterManifests } from "../../helpers/kubeManifests.ts";
import { nodeCondition, useVirtualSim, walk } from "./helpers.ts";

// The kubelet's admission of pods under node pressure, DaemonSet pods refused by it, and scheduling gates;
// read with the real kubectl on a virtual clock.
const FIXTURE = clusterManifests(2, ["demo"]);

const { start, run, k, post, apply } = useVirtualSim(FIXTURE);
const diskFull = async () => {
  expect((await post("/sim/nodes/node-1", { outsideDiskGiB: 95 })).status).toBe(200);
};
const pod = (name: string, spec: object) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "demo", labels: { app: name } },
  spec: { containers: [{ name: "app", image: "ghcr.io/acme/app:1.0.0" }], ...spec },
});

describe("kubelet admission under node pressure", () => {
  it("a pod bound to a node with DiskPressure is rejected as Evicted with the real message", async () => {
    const s = await start();
    await diskFull();
    walk(s, 20_000);
    expect(await nodeCondition({ k }, "node-1", "DiskPressure")).toBe("True");
    await apply(pod("evictedpod", { nodeName: "node-1" }));
    walk(s, 3000);
    expect(await k("-n", "demo", "get", "pod", "evictedpod")).toMatch(/evictedpod\s+0\/1\s+Evicted\s+0/);
    expect(await k("-n", "demo", "get", "pod", "evictedpod", "-o", "jsonpath={.status.message}")).toBe(
      "Pod was rejected: The node had condition: [DiskPressure]. ",
    );
    expect(await k("-n", "demo", "describe", "pod", "evictedpod")).toMatch(
      /Warning\s+Evicted\s.*kubelet\s+The node had condition: \[DiskPressure\]\./,
    );
    expect(await k("get", "--raw", "/metrics")).toMatch(
      /kube_pod_status_reason\{namespace="demo",pod="evictedpod",uid="[0-9a-f-]+",reason="Evicted"\} 1/,
    );
    // The same pod on the healthy node runs.
    await apply(pod("fine", { nodeName: "node-2" }));
    walk(s, 5000);
    expect(await k("-n", "demo", "get", "pod", "fine")).toMatch(/fine\s+1\/1\s+Running/);
  });

  it("under memory pressure alone a pod with requests is admitted", async () => {
    const s = await start();
    expect((await post("/sim/nodes/node-1", { outsideMemoryMiB: 15900 })).status).toBe(200);
    walk(s, 20_000);
    expect(await nodeCondition({ k }, "node-1", "MemoryPressure")).toBe("True");
    await apply(
      pod("burstable", {
        nodeName: "node-1",
        containers: [
          { name: "app", image: "ghcr.io/acme/app:1.0.0", resources: { requests: { memory: "10Mi" } } },
        ],
      }),
    );
    await apply(pod("besteffort", { nodeName: "node-1" }));
    walk(s, 5000);
    // Admitted (given an IP; the eviction manager may evict it later for what it uses, not at admission).
    const burstable = await k("-n", "demo", "describe", "pod", "burstable");
    expect(burstable).toMatch(/IP:\s+10\.244\./);
    expect(burstable).not.toContain("Pod was rejected");
    expect(await k("-n", "demo", "get", "pod", "besteffort", "-o", "jsonpath={.status.message}")).toBe(
      "Pod was rejected: The node had condition: [MemoryPressure]. ",
    );
  });

  it("a DaemonSet pod refused by the kubelet is replaced after a back-off, not in a tight loop", async () => {
    const s = await start();
    await diskFull();
    walk(s, 20_000);
    await apply({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "agent", namespace: "demo" },
      spec: {
        selector: { matchLabels: { app: "agent" } },
        template: {
          metadata: { labels: { app: "agent" } },
          spec: { containers: [{ name: "agent", image: "ghcr.io/acme/agent:1.0.0" }] },
        },
      },
    });
    walk(s, 30_000);
    const pods = await k("-n", "demo", "get", "pods", "-l", "app=agent", "-o", "wide");
    expect(pods).toMatch(/agent-\S+\s+1\/1\s+Running\s.*node-2/);
    expect(pods).toMatch(/agent-\S+\s+0\/1\s+Evicted\s.*node-1/);
    expect(pods.trim().split("\n").length - 1).toBe(2);
    expect(await k("-n", "demo", "describe", "ds", "agent")).toMatch(
      /Warning\s+FailedDaemonPod\s.*daemonset-controller\s+Found failed daemon pod demo\/agent-\S+ on node node-1, will try to kill it/,
    );
  });
});

describe("scheduling gates", () => {
  it("a gated pod is SchedulingGated until its gates are removed", async () => {
    const s = await start();
    await apply(pod("gated", { schedulingGates: [{ name: "example.com/quota" }] }));
    walk(s, 5000);
    expect(await k("-n", "demo", "get", "pod", "gated")).toMatch(/gated\s+0\/1\s+SchedulingGated\s+0/);
    expect(await k("-n", "demo", "describe", "pod", "gated")).toMatch(/PodScheduled\s+False/);
    expect(
      await k(
        "-n",
        "demo",
        "get",
        "pod",
        "gated",
        "-o",
        'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}',
      ),
    ).toBe("Scheduling is blocked due to non-empty scheduling gates");
    expect(
      await k("-n", "demo", "get", "events", "--field-selector", "involvedObject.name=gated"),
    ).not.toMatch(/FailedScheduling/);
    const r = await run([
      "-n",
      "demo",
      "patch",
      "pod",
      "gated",
      "--type",
      "json",
      "-p",
      '[{"op":"remove","path":"/spec/schedulingGates"}]',
    ]);
    expect(r.code, r.stderr).toBe(0);
    walk(s, 5000);
    expect(await k("-n", "demo", "get", "pod", "gated")).toMatch(/gated\s+1\/1\s+Running/);
  });
});
