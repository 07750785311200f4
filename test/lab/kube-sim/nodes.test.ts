import { describe, expect, it } from "vitest";
import { clusterManifests, deployment, manifests } from "../../helpers/kubeManifests.ts";
import { nodeCondition, useVirtualSim, walk } from "./helpers.ts";

// Node conditions derived from the node's world (memory, pids, CNI, kubelet), its journal, and arbitrary
// Events; read with the real kubectl on a virtual clock.
const FIXTURE = manifests(
  `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/api:1.0.0: { memoryMiB: 200 }
  ghcr.io/acme/cache:1.0.0: { memoryMiB: 300, leakMiBPerMin: 400 }
---
apiVersion: v1
kind: Node
metadata: { name: node-1 }
status:
  capacity: { cpu: "4", memory: 2Gi, pods: "110" }
  allocatable: { cpu: "3800m", memory: 1800Mi, pods: "110" }`,
  clusterManifests(0, ["demo"]),
  deployment("api", "demo", [
    { name: "app", image: "ghcr.io/acme/api:1.0.0", resources: { requests: { memory: "256Mi" } } },
  ]),
);

const CACHE = JSON.stringify(
  deployment("cache", "demo", [{ name: "cache", image: "ghcr.io/acme/cache:1.0.0" }]),
);

const { start, run, k, post } = useVirtualSim(FIXTURE, { warmUpMs: 10_000 });
const condition = (type: string) => nodeCondition({ k }, "node-1", type);

describe("node conditions follow from the node's world", () => {
  it("a leak with no limit exhausts the node: MemoryPressure, a taint, the biggest consumer Evicted, kubelet journal", async () => {
    const s = await start();
    expect((await run(["apply", "-f", "-"], CACHE)).code).toBe(0);
    walk(s, 60_000);
    expect(await condition("MemoryPressure")).toBe("False");
    walk(s, 3 * 60_000);
    const pods = await k("-n", "demo", "get", "pods");
    // kubectl prints the killed container's state (ContainerStatusUnknown) over the pod's reason, as it does
    // for pods a 1.2x kubelet evicted; the pod's reason says Evicted.
    expect(pods).toMatch(/cache-\S+\s+0\/1\s+ContainerStatusUnknown/);
    expect(
      await k("-n", "demo", "get", "pods", "-l", "app=cache", "-o", "jsonpath={.items[*].status.reason}"),
    ).toMatch(/Evicted/);
    expect(pods).toMatch(/api-\S+\s+1\/1\s+Running/); // the pod within its requests stays
    const events = await k("-n", "demo", "get", "events");
    expect(events).toMatch(
      /Evicted\s+pod\/cache-\S+\s+The node was low on resource: memory\. Threshold quantity: 100Mi, available: \d+Ki\. Container cache was using \d+Ki, request is 0, has larger consumption of memory\./,
    );
    expect(await k("get", "events", "-n", "default")).toMatch(/NodeHasInsufficientMemory/);
    const log = await k("get", "--raw", "/api/v1/nodes/node-1/proxy/logs/?query=kubelet");
    expect(log).toMatch(
      /kubelet\[\d+\]: I\d{4} [\d:.]+\s+\d+ eviction_manager\.go:366\] "Eviction manager: attempting to reclaim" resourceName="memory"/,
    );
    expect(log).toMatch(/"Eviction manager: pod is evicted successfully" pod="demo\/cache-/);
  });

  it("memory used outside the pods gives MemoryPressure and the memory-pressure taint; freeing it clears both", async () => {
    const s = await start();
    expect((await post("/sim/nodes/node-1", { outsideMemoryMiB: 1900 })).status).toBe(200);
    s.advance(1000);
    expect(await condition("MemoryPressure")).toBe("True");
    expect(await k("describe", "node", "node-1")).toMatch(
      /Taints:\s+node\.kubernetes\.io\/memory-pressure:NoSchedule[\s\S]*MemoryPressure\s+True[\s\S]*KubeletHasInsufficientMemory\s+kubelet has insufficient memory available/,
    );
    await post("/sim/nodes/node-1", { outsideMemoryMiB: 0 });
    s.advance(1000);
    expect(await condition("MemoryPressure")).toBe("False");
    expect(await k("get", "node", "node-1", "-o", "jsonpath={.spec.taints}")).toBe("");
  });

  it("PIDPressure at 90 % of pid_max; an unknown field is refused with a clear error", async () => {
    const s = await start();
    expect((await post("/sim/nodes/node-1", { outsidePids: 30_000 })).status).toBe(200);
    s.advance(1000);
    expect(await condition("PIDPressure")).toBe("True");
    const bad = await post("/sim/nodes/node-1", { memoryPresure: true });
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toMatch(/node change: .*memoryPresure/);
    expect((await post("/sim/nodes/node-9", { outsidePids: 1 })).status).toBe(404);
  });

  it("a CNI that is not ready: NetworkUnavailable, NotReady with the runtime's message, new pods' sandboxes fail", async () => {
    const s = await start();
    await post("/sim/nodes/node-1", { networkUnavailable: true });
    s.advance(1000);
    expect(await k("get", "nodes")).toMatch(/node-1\s+NotReady/);
    expect(await condition("NetworkUnavailable")).toBe("True");
    expect(await k("describe", "node", "node-1")).toMatch(
      /Ready\s+False[\s\S]*container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized/,
    );
    // A pod that tolerates the taints (as a DaemonSet's would) lands there and cannot get a sandbox.
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "probe", namespace: "demo" },
      spec: {
        nodeName: "node-1",
        tolerations: [{ operator: "Exists" }],
        containers: [{ name: "c", image: "busybox:1.36", command: ["sleep", "3600"] }],
      },
    };
    expect((await run(["apply", "-f", "-"], JSON.stringify(pod))).code).toBe(0);
    s.advance(2000);
    expect(await k("-n", "demo", "describe", "pod", "probe")).toMatch(
      /FailedCreatePodSandBox\s+.*Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox/,
    );
    expect(await k("get", "--raw", "/api/v1/nodes/node-1/proxy/logs/?query=kubelet")).toMatch(
      /"Container runtime network not ready"/,
    );
  });

  it("a flapping kubelet: Ready goes Unknown and back each period, with repeated events and PLEG lines", async () => {
    const s = await start();
    await post("/sim/nodes/node-1", { kubeletFlapPeriodMs: 40_000 });
    walk(s, 45_000);
    expect(await condition("Ready")).toBe("Unknown");
    walk(s, 40_000);
    expect(await condition("Ready")).toBe("True");
    walk(s, 80_000);
    const events = await k("get", "events", "-n", "default", "-o", "wide");
    expect(events).toMatch(
      /NodeNotReady\s+node\/node-1\s+node-controller\s+Node node-1 status is now: NodeNotReady\s+\S+\s+2\s/,
    );
    const log = await k("get", "--raw", "/api/v1/nodes/node-1/proxy/logs/");
    expect(log.match(/PLEG is not healthy/g)?.length).toBe(2);
    expect(log).toMatch(/systemd\[1\]: kubelet\.service: Main process exited, code=killed, status=9\/KILL/);
    await post("/sim/nodes/node-1", { kubeletFlapPeriodMs: 0 });
    s.advance(1000);
    expect(await condition("Ready")).toBe("True");
  });
});

describe("arbitrary Events", () => {
  it("records a scenario's Event on a live object, with count, component and the object's uid", async () => {
    const s = await start();
    const pod = (await k("-n", "demo", "get", "pods", "-o", "name")).trim().replace("pod/", "");
    const r = await post("/sim/events", {
      involvedObject: { kind: "Pod", namespace: "demo", name: pod },
      reason: "FailedMount",
      message: 'MountVolume.SetUp failed for volume "certs" : secret "api-tls" not found',
      count: 3,
    });
    expect(r.status).toBe(201);
    s.advance(1000);
    expect(await k("-n", "demo", "describe", "pod", pod)).toMatch(
      /Warning\s+FailedMount\s+\S+\s+\(x3 over \S+\)\s+kubelet\s+MountVolume\.SetUp failed for volume "certs" : secret "api-tls" not found/,
    );
    expect((await post("/sim/events", { involvedObject: { kind: "Pod", name: "x" } })).status).toBe(400);
  });
});
