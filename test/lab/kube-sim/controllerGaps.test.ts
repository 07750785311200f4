import { describe, expect, it } from "vitest";
import type { KubeSim } from "@aegisops/kube-sim";
import { clusterManifests } from "../../helpers/kubeManifests.ts";
import { useVirtualSim } from "./helpers.ts";

// Controller behaviours a real cluster shows and the simulator once lacked, read with the real kubectl on a
// virtual clock (time moves only through sim.advance).
const FIXTURE = `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/web:1.0.0: { cpuMillicores: 900 }
  ghcr.io/acme/agent:1.0.0: {}
  ghcr.io/acme/agent:1.1.0: {}
  ghcr.io/acme/agent:1.2.0: { exit: { code: 1, afterMs: 500, logs: ["panic: bad config"] } }
  ghcr.io/acme/report:1.0.0: { exit: { code: 0, afterMs: 3000, logs: ["INFO report sent"] } }
  ghcr.io/acme/report:1.1.0: { exit: { code: 1, afterMs: 2000, logs: ["ERROR smtp: connection refused"] } }
  ghcr.io/acme/front:1.0.0: { dependsOn: [{ env: CART_ADDR, onFailure: exit }] }
  ghcr.io/acme/logger:1.0.0: { diskMiBPerMin: 2048 }
  ghcr.io/acme/api:0.9.0: { exit: { code: 2, afterMs: 15000, logs: ["fatal error: concurrent map writes"] } }
  ghcr.io/acme/api:1.0.0: {}
  ghcr.io/acme/api:2.0.0: missing
  ghcr.io/acme/job:1.0.0: { exit: { code: 1, logs: ["panic: invalid memory address or nil pointer dereference"] } }
  ghcr.io/acme/job:1.1.0: { requiresEnv: [DATABASE_URL] }
---
${clusterManifests(3, ["demo"])}`;

const { start, run, k, post: postSim, apply } = useVirtualSim(FIXTURE);
/** The status and reason of the Deployment api's Progressing condition. */
const progressing = () =>
  k(
    "-n",
    "demo",
    "get",
    "deploy",
    "api",
    "-o",
    'jsonpath={.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Progressing")].reason}',
  );
/** The images the DaemonSet agent's pods run, space-separated. */
const agentImages = () =>
  k("-n", "demo", "get", "pods", "-l", "app=agent", "-o", "jsonpath={.items[*].spec.containers[0].image}");
/** Advances the virtual clock in steps, as time passes for the controllers. */
const pass = (s: KubeSim, ms: number, step = 1000) => {
  for (let t = 0; t < ms; t += step) s.advance(step);
};

const deployment = (
  name: string,
  image: string,
  extra: { spec?: object; container?: object; pod?: object } = {},
) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "demo" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    ...extra.spec,
    template: {
      metadata: { labels: { app: name } },
      spec: { ...extra.pod, containers: [{ name, image, ...extra.container }] },
    },
  },
});

/** An HPA that keeps Deployment web between 2 and 6 replicas at 50 % CPU. */
const WEB_HPA = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web", namespace: "demo" },
  spec: {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
    minReplicas: 2,
    maxReplicas: 6,
    metrics: [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
      },
    ],
  },
};

describe("HorizontalPodAutoscaler on a Deployment without CPU requests", () => {
  it("does not scale and reports the real missing-request condition and events", async () => {
    const s = await start();
    await apply(deployment("web", "ghcr.io/acme/web:1.0.0"));
    await apply(WEB_HPA);
    pass(s, 60_000);
    expect(await k("-n", "demo", "get", "hpa", "web")).toMatch(
      /web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+2\s+6\s+2/,
    );
    expect(await k("-n", "demo", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}")).toBe("2");
    const describe = await k("-n", "demo", "describe", "hpa", "web");
    expect(describe).toMatch(
      /ScalingActive\s+False\s+FailedGetResourceMetric\s+the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container web of Pod web-\S+/,
    );
    expect(describe).toMatch(
      /Warning\s+FailedGetResourceMetric\s.*horizontal-pod-autoscaler\s+failed to get cpu utilization: missing request for cpu in container web of Pod web-/,
    );
    expect(describe).toMatch(
      /Warning\s+FailedComputeMetricsReplicas\s.*invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value/,
    );
  });

  it("the same Deployment with a CPU request scales on its utilization", async () => {
    const s = await start();
    await apply(
      deployment("web", "ghcr.io/acme/web:1.0.0", {
        container: { resources: { requests: { cpu: "500m" } } },
      }),
    );
    await apply(WEB_HPA);
    pass(s, 60_000);
    expect(
      Number(await k("-n", "demo", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}")),
    ).toBeGreaterThan(2);
    expect(await k("-n", "demo", "describe", "hpa", "web")).toMatch(
      /ScalingActive\s+True\s+ValidMetricFound/,
    );
  });
});

const daemonSet = (image: string) => ({
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "agent", namespace: "demo" },
  spec: {
    selector: { matchLabels: { app: "agent" } },
    template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "agent", image }] } },
  },
});

describe("DaemonSet rolling update", () => {
  it("replaces the old pods node by node; rollout status, history and undo work", async () => {
    const s = await start();
    await apply(daemonSet("ghcr.io/acme/agent:1.0.0"));
    pass(s, 10_000);
    expect(await k("-n", "demo", "rollout", "status", "ds/agent", "--timeout=5s")).toMatch(
      /daemon set "agent" successfully rolled out/,
    );
    await k("-n", "demo", "set", "image", "ds/agent", "agent=ghcr.io/acme/agent:1.1.0");
    s.advance(500);
    // One node at a time (maxUnavailable 1): the rollout is under way, not done.
    const during = await run(["-n", "demo", "rollout", "status", "ds/agent", "--watch=false"]);
    expect(during.stdout).toMatch(
      /Waiting for daemon set "agent" rollout to finish: \d out of 3 new pods have been updated\.\.\./,
    );
    pass(s, 30_000);
    expect(await k("-n", "demo", "rollout", "status", "ds/agent", "--timeout=5s")).toMatch(
      /daemon set "agent" successfully rolled out/,
    );
    const images = await agentImages();
    expect(images.split(" ").sort()).toEqual(Array(3).fill("ghcr.io/acme/agent:1.1.0"));
    expect(await k("-n", "demo", "get", "ds", "agent")).toMatch(/agent\s+3\s+3\s+3\s+3\s+3/);
    expect(await k("-n", "demo", "rollout", "history", "ds/agent")).toMatch(/1\s+<none>\s*\n2\s+<none>/);

    // A broken template stops after the first node: the budget keeps the other two on the old pods.
    await k("-n", "demo", "set", "image", "ds/agent", "agent=ghcr.io/acme/agent:1.2.0");
    pass(s, 60_000);
    const pods = await agentImages();
    expect(pods.split(" ").filter((i) => i.endsWith(":1.2.0"))).toHaveLength(1);
    expect(pods.split(" ").filter((i) => i.endsWith(":1.1.0"))).toHaveLength(2);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=agent")).toMatch(/CrashLoopBackOff|Error/);
    await k("-n", "demo", "rollout", "undo", "ds/agent");
    pass(s, 30_000);
    const back = await agentImages();
    expect(back.split(" ").sort()).toEqual(Array(3).fill("ghcr.io/acme/agent:1.1.0"));
  });

  it("OnDelete keeps the old pods until they are deleted", async () => {
    const s = await start();
    const ds = daemonSet("ghcr.io/acme/agent:1.0.0");
    await apply({ ...ds, spec: { ...ds.spec, updateStrategy: { type: "OnDelete" } } });
    pass(s, 10_000);
    await k("-n", "demo", "set", "image", "ds/agent", "agent=ghcr.io/acme/agent:1.1.0");
    pass(s, 30_000);
    const images = await agentImages();
    expect(images.split(" ")).toEqual(Array(3).fill("ghcr.io/acme/agent:1.0.0"));
    expect(
      await k("-n", "demo", "get", "ds", "agent", "-o", "jsonpath={.status.updatedNumberScheduled}"),
    ).toBe("0");
  });
});

describe("Deployment progress deadline", () => {
  it("a rollout that cannot progress ends with ProgressDeadlineExceeded and rollout status fails with the real error", async () => {
    const s = await start();
    await apply(deployment("api", "ghcr.io/acme/api:1.0.0", { spec: { progressDeadlineSeconds: 60 } }));
    pass(s, 10_000);
    await k("-n", "demo", "set", "image", "deploy/api", "api=ghcr.io/acme/api:2.0.0");
    pass(s, 30_000);
    expect(await progressing()).toBe("True ReplicaSetUpdated");
    pass(s, 60_000);
    expect(await progressing()).toBe("False ProgressDeadlineExceeded");
    const st = await run(["-n", "demo", "rollout", "status", "deploy/api", "--timeout=10s"]);
    expect(st.code).not.toBe(0);
    expect(st.stderr).toMatch(/error: deployment "api" exceeded its progress deadline/);
    expect(await k("-n", "demo", "describe", "deploy", "api")).toMatch(
      /Progressing\s+False\s+ProgressDeadlineExceeded/,
    );
  });
});

describe("A container whose process exits", () => {
  it.each([
    ["panics at start", "ghcr.io/acme/job:1.0.0"],
    ["exits for a missing env var", "ghcr.io/acme/job:1.1.0"],
  ])(
    "is never Ready when it %s, even with a readiness probe that has no initial delay",
    async (_what, image) => {
      const s = await start();
      await apply(
        deployment("job", image, {
          spec: { replicas: 1 },
          container: { readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } },
        }),
      );
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) {
        s.advance(500);
        const pods = await k("-n", "demo", "get", "pods", "-l", "app=job", "--no-headers");
        const m = /\s(\d\/1)\s+(\S+)\s/.exec(pods);
        if (m) seen.add(`${m[1]} ${m[2]}`);
      }
      expect([...seen].filter((x) => x.startsWith("1/1"))).toEqual([]);
      expect([...seen].join(",")).toMatch(/0\/1 (CrashLoopBackOff|Error)/);
      expect(await k("-n", "demo", "get", "deploy", "job")).toMatch(/job\s+0\/1/);
    },
  );

  it("a server that dies after a while was Ready until it exited", async () => {
    const s = await start();
    await apply(
      deployment("api", "ghcr.io/acme/api:0.9.0", {
        spec: { replicas: 1 },
        container: { readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } },
      }),
    );
    pass(s, 5000, 500);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=api")).toMatch(/1\/1\s+Running\s+0/);
    pass(s, 20_000, 500);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=api")).toMatch(
      /0\/1\s+(CrashLoopBackOff|Error)\s+1/,
    );
  });
});

const pinned = (name: string, image: string, container: object = {}) =>
  deployment(name, image, {
    spec: { replicas: 1 },
    pod: { nodeSelector: { "kubernetes.io/hostname": "node-1" } },
    container,
  });

describe("DiskPressure from what the pods write", () => {
  const post = async (_s: KubeSim, path: string, body: unknown) => {
    expect((await postSim(path, body)).status).toBe(200);
  };
  const condition = (type: string) =>
    k("get", "node", "node-1", "-o", `jsonpath={.status.conditions[?(@.type=="${type}")].status}`);

  it("the node runs short of disk: DiskPressure, the taint, the writer Evicted with the real message", async () => {
    const s = await start();
    await post(s, "/sim/nodes/node-1", { outsideDiskGiB: 85 });
    await apply(pinned("logger", "ghcr.io/acme/logger:1.0.0"));
    await apply(pinned("api", "ghcr.io/acme/api:1.0.0"));
    pass(s, 60_000);
    expect(await condition("DiskPressure")).toBe("False");
    pass(s, 3 * 60_000);
    const events = await k("-n", "demo", "get", "events");
    expect(events).toMatch(
      /Evicted\s+pod\/logger-\S+\s+The node was low on resource: ephemeral-storage\. Threshold quantity: \d+, available: \d+Ki\. Container logger was using \d+Ki, request is 0, has larger consumption of ephemeral-storage\./,
    );
    expect(
      await k("-n", "demo", "get", "pods", "-l", "app=logger", "-o", "jsonpath={.items[*].status.reason}"),
    ).toMatch(/Evicted/);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=api")).toMatch(/api-\S+\s+1\/1\s+Running\s+0/);
    expect(await k("get", "events", "-n", "default")).toMatch(/NodeHasDiskPressure/);
    const log = await k("get", "--raw", "/api/v1/nodes/node-1/proxy/logs/?query=kubelet");
    expect(log).toMatch(/Eviction manager: attempting to reclaim" resourceName="ephemeral-storage"/);
    expect(log).toMatch(/Eviction manager: pod is evicted successfully" pod="demo\/logger-/);
  });

  it("while the disk is short the node is tainted; once the writer is gone it recovers", async () => {
    const s = await start();
    await post(s, "/sim/nodes/node-1", { outsideDiskGiB: 80 });
    await apply(pinned("logger", "ghcr.io/acme/logger:1.0.0"));
    // 20 GiB free at first; the writer takes it below 10 GiB after about 5 minutes.
    let pressured = false;
    for (let i = 0; i < 60 && !pressured; i++) {
      pass(s, 10_000);
      pressured = (await condition("DiskPressure")) === "True";
    }
    expect(pressured).toBe(true);
    expect(await k("get", "node", "node-1", "-o", "jsonpath={.spec.taints[*].key}")).toContain(
      "node.kubernetes.io/disk-pressure",
    );
    expect(await k("describe", "node", "node-1")).toMatch(/DiskPressure\s+True\s.*KubeletHasDiskPressure/);
    // The writer was evicted and is stopped: the disk frees, and 5 minutes (the kubelet's pressure transition
    // period) later the condition and the taint clear.
    await k("-n", "demo", "scale", "deploy/logger", "--replicas=0");
    pass(s, 60_000);
    expect(await condition("DiskPressure")).toBe("True");
    pass(s, 5 * 60_000);
    expect(await condition("DiskPressure")).toBe("False");
    expect(await k("get", "node", "node-1", "-o", "jsonpath={.spec.taints[*].key}")).not.toContain(
      "node.kubernetes.io/disk-pressure",
    );
  });

  it("a container over its ephemeral-storage limit has its pod evicted, whatever the node has left", async () => {
    const s = await start();
    await apply(
      pinned("logger", "ghcr.io/acme/logger:1.0.0", {
        resources: { limits: { "ephemeral-storage": "1Gi" } },
      }),
    );
    pass(s, 20_000);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=logger")).toMatch(/1\/1\s+Running/);
    pass(s, 60_000);
    expect(await k("-n", "demo", "get", "events")).toMatch(
      /Evicted\s+pod\/logger-\S+\s+Container logger exceeded its local ephemeral storage limit "1Gi"\./,
    );
    expect(await condition("DiskPressure")).toBe("False");
  });
});

describe("kube-state-metrics Job and CronJob series", () => {
  const cronJob = (image: string) => ({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "report", namespace: "demo" },
    spec: {
      schedule: "*/5 * * * *",
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: { spec: { restartPolicy: "Never", containers: [{ name: "report", image }] } },
        },
      },
    },
  });
  /** The value of one series from the simulator's /metrics, read through kubectl. */
  const series = (text: string, name: string, labels: Record<string, string>): number[] =>
    text
      .split("\n")
      .filter(
        (l) =>
          l.startsWith(`${name}{`) && Object.entries(labels).every(([key, v]) => l.includes(`${key}="${v}"`)),
      )
      .map((l) => Number(l.slice(l.lastIndexOf(" ") + 1)));

  it("a CronJob that succeeds, then one whose runs fail: last schedule and last success drift apart", async () => {
    const s = await start();
    await apply(cronJob("ghcr.io/acme/report:1.0.0"));
    pass(s, 11 * 60_000, 10_000);
    let m = await k("get", "--raw", "/metrics");
    const id = { namespace: "demo", cronjob: "report" };
    expect(
      series(m, "kube_cronjob_info", { ...id, schedule: "*/5 * * * *", concurrency_policy: "Allow" }),
    ).toEqual([1]);
    expect(series(m, "kube_cronjob_spec_suspend", id)).toEqual([0]);
    const success = series(m, "kube_cronjob_status_last_successful_time", id)[0]!;
    const scheduled = series(m, "kube_cronjob_status_last_schedule_time", id)[0]!;
    expect(success).toBeGreaterThanOrEqual(scheduled);
    expect(series(m, "kube_cronjob_next_schedule_time", id)[0]).toBe(scheduled + 300);
    expect(
      series(m, "kube_job_complete", { namespace: "demo", condition: "true" }).reduce((a, b) => a + b, 0),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(m, "kube_job_owner", { namespace: "demo", owner_kind: "CronJob", owner_name: "report" }).length,
    ).toBeGreaterThanOrEqual(1);

    await k("-n", "demo", "set", "image", "cronjob/report", "report=ghcr.io/acme/report:1.1.0");
    pass(s, 16 * 60_000, 10_000);
    m = await k("get", "--raw", "/metrics");
    const later = series(m, "kube_cronjob_status_last_schedule_time", id)[0]!;
    expect(later - scheduled).toBeGreaterThanOrEqual(15 * 60);
    // The success time did not move: what "time() - kube_cronjob_status_last_successful_time" alerts on.
    expect(series(m, "kube_cronjob_status_last_successful_time", id)[0]).toBe(success);
    expect(
      series(m, "kube_job_failed", { namespace: "demo", condition: "true" }).reduce((a, b) => a + b, 0),
    ).toBeGreaterThanOrEqual(1);
    expect(series(m, "kube_job_status_failed", { namespace: "demo" }).some((v) => v >= 1)).toBe(true);
  });
});

describe("name resolution follows the pod's dnsPolicy", () => {
  const front = (dnsPolicy?: string) =>
    deployment("front", "ghcr.io/acme/front:1.0.0", {
      spec: { replicas: 1 },
      pod: dnsPolicy ? { dnsPolicy } : {},
      container: { env: [{ name: "CART_ADDR", value: "cart:8080" }] },
    });
  const cart = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "cart", namespace: "demo" },
    spec: { selector: { app: "cart" }, ports: [{ port: 8080, targetPort: 8080 }] },
  };

  it("dnsPolicy Default resolves with the node's resolver, which knows no Service: the caller fails to start", async () => {
    const s = await start();
    await apply(deployment("cart", "ghcr.io/acme/api:1.0.0", { spec: { replicas: 1 } }));
    await apply(cart);
    pass(s, 10_000);
    await apply(front());
    pass(s, 20_000);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=front")).toMatch(/1\/1\s+Running\s+0/);
    await apply(front("Default"));
    pass(s, 40_000);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=front")).toMatch(
      /0\/1\s+(CrashLoopBackOff|Error)/,
    );
    // The new revision's pod crash-loops (the old one keeps serving: 1 replica, maxUnavailable rounds to 0).
    const broken = await k(
      "-n",
      "demo",
      "get",
      "pods",
      "-l",
      "app=front",
      "-o",
      'jsonpath={.items[?(@.spec.dnsPolicy=="Default")].metadata.name}',
    );
    const logs = await k("-n", "demo", "logs", broken.trim());
    expect(logs).toMatch(
      /FATAL cannot connect to cart:8080: dial tcp: lookup cart on 10\.0\.0\.2:53: no such host/,
    );
    // ClusterFirst again (or None with the cluster DNS as nameserver): it resolves.
    await apply({
      ...front("None"),
      spec: {
        ...front("None").spec,
        template: {
          ...front("None").spec.template,
          spec: { ...front("None").spec.template.spec, dnsConfig: { nameservers: ["10.96.0.10"] } },
        },
      },
    });
    pass(s, 60_000);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=front")).toMatch(/1\/1\s+Running\s+0/);
  });
});
