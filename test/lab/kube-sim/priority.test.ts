import { describe, expect, it } from "vitest";
import { clusterManifests, deployment as deploymentManifest } from "../../helpers/kubeManifests.ts";
import { useVirtualSim, walk } from "./helpers.ts";

// PriorityClasses and scheduler preemption, read with the real kubectl on a virtual clock.
const FIXTURE = `
${clusterManifests(3, ["demo"])}---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: application-critical }
value: 10000
description: High priority
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: application-non-critical }
value: 1
description: Low priority
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: batch-no-preempt }
value: 5000
preemptionPolicy: Never
`;

const { start, run, k, podName, apply } = useVirtualSim(FIXTURE);

const deployment = (name: string, replicas: number, cpu: string, pod: Record<string, unknown>) =>
  deploymentManifest(
    name,
    "demo",
    [{ name, image: `ghcr.io/acme/${name}:1.0.0`, resources: { requests: { cpu } } }],
    { replicas, pod },
  );
const onNode1 = { nodeSelector: { "kubernetes.io/hostname": "node-1" } };

describe("PriorityClasses and preemption", () => {
  it("serves PriorityClasses with the system ones and sets the pods' priority", async () => {
    const s = await start();
    const pcs = await k("get", "priorityclasses");
    expect(pcs).toMatch(/^application-critical\s+10000\s+false/m);
    expect(pcs).toMatch(/^system-node-critical\s+2000001000\s+false/m);
    await apply(deployment("kafka", 1, "1", { ...onNode1, priorityClassName: "application-non-critical" }));
    walk(s, 5000);
    expect(
      await k("-n", "demo", "get", "pods", "-l", "app=kafka", "-o", "jsonpath={.items[0].spec.priority}"),
    ).toBe("1");
  });

  it("a higher-priority workload preempts a lower one: Preempted event, and the victim's replacement stays Pending", async () => {
    const s = await start();
    await apply(deployment("kafka", 1, "1", { ...onNode1, priorityClassName: "application-non-critical" }));
    walk(s, 5000);
    const victim = await podName("demo", "app=kafka");
    // 20 × 150m of critical pods and kafka's 1 CPU do not fit in node-1's 3800m.
    await apply(
      deployment("collector", 20, "150m", { ...onNode1, priorityClassName: "application-critical" }),
    );
    walk(s, 10_000);
    expect(
      await k("-n", "demo", "get", "deploy", "collector", "-o", "jsonpath={.status.readyReplicas}"),
    ).toBe("20");
    const events = await k("-n", "demo", "get", "events", "--field-selector", "reason=Preempted");
    expect(events).toMatch(
      new RegExp(`Normal\\s+Preempted\\s+pod/${victim}\\s+Preempted by pod [0-9a-f-]{36} on node node-1`),
    );
    expect(await k("-n", "demo", "get", "pod", victim, "--ignore-not-found")).toBe("");
    const pods = await k("-n", "demo", "get", "pods", "-l", "app=kafka");
    expect(pods).toMatch(/kafka-\S+\s+0\/1\s+Pending/);
    const describe = await k("-n", "demo", "describe", "pods", "-l", "app=kafka");
    expect(describe).toMatch(/Priority:\s+1\n/);
    expect(describe).toContain(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );
    // Removing the cause (the pin and the class) lets kafka run elsewhere.
    await apply(deployment("kafka", 1, "1", {}));
    walk(s, 10_000);
    expect(await k("-n", "demo", "get", "deploy", "kafka", "-o", "jsonpath={.status.readyReplicas}")).toBe(
      "1",
    );
  });

  it("a pod with preemptionPolicy Never waits instead of preempting", async () => {
    const s = await start();
    await apply(deployment("kafka", 1, "3", { ...onNode1, priorityClassName: "application-non-critical" }));
    walk(s, 5000);
    await apply(deployment("batch", 1, "2", { ...onNode1, priorityClassName: "batch-no-preempt" }));
    walk(s, 5000);
    expect(await k("-n", "demo", "get", "deploy", "kafka", "-o", "jsonpath={.status.readyReplicas}")).toBe(
      "1",
    );
    expect(await k("-n", "demo", "describe", "pods", "-l", "app=batch")).toContain(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: not eligible due to preemptionPolicy=Never.",
    );
  });

  it("a pod naming a missing PriorityClass is refused at admission", async () => {
    const s = await start();
    await apply(deployment("web", 1, "100m", { priorityClassName: "nope" }));
    walk(s, 3000);
    expect(await k("-n", "demo", "describe", "rs", "-l", "app=web")).toMatch(
      /Warning\s+FailedCreate\s.*replicaset-controller\s+Error creating: pods "web-\S+" is forbidden: no PriorityClass with name nope was found/,
    );
    const bare = await run([
      "-n",
      "demo",
      "run",
      "solo",
      "--image",
      "ghcr.io/acme/web:1.0.0",
      "--overrides",
      '{"spec":{"priorityClassName":"nope"}}',
    ]);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain('pods "solo" is forbidden: no PriorityClass with name nope was found');
  });
});
