import { describe, expect, it } from "vitest";
import { deployment, manifests } from "../../helpers/kubeManifests.ts";
import { useVirtualSim } from "./helpers.ts";
import { metric } from "./world.ts";

// One namespace, one Deployment and a registry whose tags behave differently; every test drives it with the real
// kubectl, on a virtual clock (time moves only through sim.advance).
const FIXTURE = manifests(
  `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/api:1.0.0: {}
  ghcr.io/acme/api:1.1.0:
    exit: { code: 2, logs: ["panic: assignment to entry in nil map", "goroutine 1 [running]:"] }
  ghcr.io/acme/api:1.2.0: { memoryMiB: 300 }
  ghcr.io/acme/api:1.3.0: { requiresEnv: [PAYMENTS_URL] }
  ghcr.io/acme/api:1.4.0: { hangAfterMs: 20000 }
  ghcr.io/acme/api:1.5.0: { cpuMillicores: 800 }
  ghcr.io/acme/api:1.6.0: { binaries: [/app/api] }
  ghcr.io/acme/private:1.0.0: denied
---
apiVersion: v1
kind: Node
metadata: { name: node-1, labels: { kubernetes.io/hostname: node-1, kubernetes.io/arch: amd64 } }
---
apiVersion: v1
kind: Namespace
metadata: { name: demo }
---
apiVersion: v1
kind: Secret
metadata: { name: api-db, namespace: demo }
stringData: { password: hunter2 }`,
  deployment("api", "demo", [
    {
      name: "app",
      image: "ghcr.io/acme/api:1.0.0",
      ports: [{ containerPort: 8080, name: "http" }],
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
    },
  ]),
);

const { start, run, k } = useVirtualSim(FIXTURE, { warmUpMs: 10_000 });
const podOf = async () =>
  (await k("-n", "demo", "get", "pods", "-o", "name", "--sort-by=.metadata.creationTimestamp"))
    .trim()
    .split("\n")
    .pop()!;
const jsonpath = async (pod: string, path: string) => k("-n", "demo", "get", pod, "-o", `jsonpath=${path}`);
/** A strategic-merge patch of api's pod template spec. */
const patchPodSpec = (spec: Record<string, unknown>) =>
  k(
    "-n",
    "demo",
    "patch",
    "deployment",
    "api",
    "--type",
    "strategic",
    "-p",
    JSON.stringify({ spec: { template: { spec } } }),
  );
const patchContainer = (body: Record<string, unknown>) =>
  patchPodSpec({ containers: [{ name: "app", ...body }] });

describe("images with behaviour", () => {
  it("a tag that panics crash-loops with its log line; rollout undo brings the old tag back", async () => {
    const s = await start();
    await k("-n", "demo", "set", "image", "deployment/api", "app=ghcr.io/acme/api:1.1.0");
    s.advance(40_000);
    const table = await k("-n", "demo", "get", "pods");
    expect(table).toMatch(/CrashLoopBackOff/);
    const crashing = (await k("-n", "demo", "get", "pods", "-o", "name")).split("\n").find(Boolean)!;
    const pods = (
      await k(
        "-n",
        "demo",
        "get",
        "pods",
        "-o",
        'jsonpath={range .items[*]}{.metadata.name} {.spec.containers[0].image}{"\\n"}{end}',
      )
    )
      .trim()
      .split("\n");
    const bad = pods.find((l) => l.endsWith("1.1.0"))!.split(" ")[0]!;
    expect(crashing).toBeTruthy();
    expect(await k("-n", "demo", "logs", bad, "--previous")).toContain(
      "panic: assignment to entry in nil map",
    );
    expect(await jsonpath(`pod/${bad}`, "{.status.containerStatuses[0].lastState.terminated.exitCode}")).toBe(
      "2",
    );
    await k("-n", "demo", "rollout", "undo", "deployment/api");
    s.advance(40_000);
    const after = await k("-n", "demo", "get", "pods", "-o", "jsonpath={.items[*].spec.containers[0].image}");
    expect(after.trim()).toBe("ghcr.io/acme/api:1.0.0");
    expect(await k("-n", "demo", "get", "pods")).not.toMatch(/CrashLoopBackOff/);
  });

  it("an unknown tag cannot be pulled: ErrImagePull, then ImagePullBackOff, with the kubelet's events", async () => {
    const s = await start();
    await k("-n", "demo", "set", "image", "deployment/api", "app=ghcr.io/acme/api:9.9.9");
    s.advance(30_000);
    const pod = await podOf();
    expect(await k("-n", "demo", "get", pod, "--no-headers")).toMatch(
      /\s0\/1\s+(ErrImagePull|ImagePullBackOff)\s/,
    );
    const described = await k("-n", "demo", "describe", pod);
    expect(described).toContain("Error: ErrImagePull");
    expect(described).toContain("Error: ImagePullBackOff");
    expect(described).toContain(
      'Failed to pull image "ghcr.io/acme/api:9.9.9": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/api:9.9.9"',
    );
    expect(described).toContain('Back-off pulling image "ghcr.io/acme/api:9.9.9"');
    // The old pod keeps serving: the rollout is stuck, not down.
    const status = await run(["-n", "demo", "rollout", "status", "deployment/api", "--timeout=1s"]);
    expect(status.code).not.toBe(0);
    expect(status.stdout + status.stderr).toMatch(
      /Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination/,
    );
  });

  it("a private repository is refused with pull access denied", async () => {
    const s = await start();
    await k("-n", "demo", "set", "image", "deployment/api", "app=ghcr.io/acme/private:1.0.0");
    s.advance(2_000);
    expect(await k("-n", "demo", "describe", await podOf())).toContain(
      "pull access denied, repository does not exist or may require authorization",
    );
  });

  it("an image that needs more memory than its limit is OOMKilled (exit 137) as soon as it runs", async () => {
    const s = await start();
    await k("-n", "demo", "set", "image", "deployment/api", "app=ghcr.io/acme/api:1.2.0");
    s.advance(30_000);
    const pod = await podOf();
    expect(await jsonpath(pod, "{.status.containerStatuses[0].lastState.terminated.reason}")).toBe(
      "OOMKilled",
    );
    expect(await jsonpath(pod, "{.status.containerStatuses[0].lastState.terminated.exitCode}")).toBe("137");
    // Raising the limit is a new revision that fits.
    await patchContainer({ resources: { limits: { cpu: "200m", memory: "512Mi" } } });
    s.advance(30_000);
    const fresh = await podOf();
    expect(await jsonpath(fresh, "{.status.containerStatuses[0].restartCount}")).toBe("0");
    expect(await jsonpath(fresh, "{.status.containerStatuses[0].ready}")).toBe("true");
  });

  it("a process that wants more CPU than its limit is throttled in cAdvisor's CFS counters", async () => {
    const s = await start();
    await k("-n", "demo", "set", "image", "deployment/api", "app=ghcr.io/acme/api:1.5.0");
    s.advance(20_000);
    const periods0 = metric(s, "container_cpu_cfs_periods_total", { namespace: "demo" });
    const throttled0 = metric(s, "container_cpu_cfs_throttled_periods_total", { namespace: "demo" });
    s.advance(60_000);
    const periods = metric(s, "container_cpu_cfs_periods_total", { namespace: "demo" }) - periods0;
    const throttled =
      metric(s, "container_cpu_cfs_throttled_periods_total", { namespace: "demo" }) - throttled0;
    expect(periods).toBeGreaterThan(500);
    expect(throttled / periods).toBeGreaterThan(0.9);
    expect(metric(s, "container_cpu_cfs_throttled_seconds_total", { namespace: "demo" })).toBeGreaterThan(0);
    // Under the limit, nothing is throttled.
    await k("-n", "demo", "rollout", "undo", "deployment/api");
    s.advance(30_000);
    const p1 = metric(s, "container_cpu_cfs_periods_total", { namespace: "demo" });
    const t1 = metric(s, "container_cpu_cfs_throttled_periods_total", { namespace: "demo" });
    s.advance(60_000);
    expect(metric(s, "container_cpu_cfs_throttled_periods_total", { namespace: "demo" }) - t1).toBe(0);
    expect(metric(s, "container_cpu_cfs_periods_total", { namespace: "demo" }) - p1).toBeGreaterThan(500);
  });
});

describe("the pod spec is obeyed", () => {
  it("env from a Secret: a missing key and a missing Secret give the kubelet's two messages", async () => {
    const s = await start();
    await patchContainer({
      env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "api-db", key: "pass" } } }],
    });
    s.advance(10_000);
    let pod = await podOf();
    expect(await jsonpath(pod, "{.status.containerStatuses[0].state.waiting.reason}")).toBe(
      "CreateContainerConfigError",
    );
    expect(await jsonpath(pod, "{.status.containerStatuses[0].state.waiting.message}")).toBe(
      "couldn't find key pass in Secret demo/api-db",
    );
    await patchContainer({
      env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "api-db-v2", key: "password" } } }],
    });
    s.advance(10_000);
    pod = await podOf();
    expect(await jsonpath(pod, "{.status.containerStatuses[0].state.waiting.message}")).toBe(
      'secret "api-db-v2" not found',
    );
    expect(await k("-n", "demo", "describe", pod)).toContain('Error: secret "api-db-v2" not found');
  });

  it("a required env var the revision lacks crash-loops; a ConfigMap volume that is missing blocks the mount", async () => {
    const s = await start();
    await k("-n", "demo", "set", "image", "deployment/api", "app=ghcr.io/acme/api:1.3.0");
    s.advance(30_000);
    let pod = await podOf();
    expect(await k("-n", "demo", "logs", pod, "--previous")).toContain(
      "required environment variable PAYMENTS_URL is not set",
    );
    await k("-n", "demo", "set", "env", "deployment/api", "PAYMENTS_URL=http://payments:8080");
    s.advance(30_000);
    pod = await podOf();
    expect(await jsonpath(pod, "{.status.containerStatuses[0].ready}")).toBe("true");
    await patchPodSpec({
      volumes: [{ name: "config", configMap: { name: "api-config" } }],
      containers: [{ name: "app", volumeMounts: [{ name: "config", mountPath: "/etc/api" }] }],
    });
    s.advance(40_000);
    pod = await podOf();
    expect(await k("-n", "demo", "get", pod, "--no-headers")).toMatch(/ContainerCreating/);
    expect(await k("-n", "demo", "describe", pod)).toContain(
      'MountVolume.SetUp failed for volume "config" : configmap "api-config" not found',
    );
  });

  it("a liveness probe against a process that hangs restarts it with the kubelet's events", async () => {
    const s = await start();
    await patchContainer({
      image: "ghcr.io/acme/api:1.4.0",
      livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5, failureThreshold: 3 },
    });
    s.advance(60_000);
    const pod = await podOf();
    const described = await k("-n", "demo", "describe", pod);
    expect(described).toMatch(
      /Liveness probe failed: Get "http:\/\/[\d.]+:8080\/healthz": context deadline exceeded/,
    );
    expect(described).toContain("Container app failed liveness probe, will be restarted");
    expect(Number(await jsonpath(pod, "{.status.containerStatuses[0].restartCount}"))).toBeGreaterThan(0);
  });

  it("a readiness probe on a port nothing listens on keeps the new pod unready and the old one serving", async () => {
    const s = await start();
    await patchContainer({ readinessProbe: { tcpSocket: { port: 9090 }, periodSeconds: 5 } });
    s.advance(40_000);
    const pods = (await k("-n", "demo", "get", "pods", "--no-headers")).trim().split("\n");
    expect(pods).toHaveLength(2);
    expect(pods.some((l) => /\s0\/1\s+Running/.test(l))).toBe(true);
    expect(await k("-n", "demo", "describe", await podOf())).toMatch(
      /Readiness probe failed: dial tcp [\d.]+:9090: connect: connection refused/,
    );
  });

  it("a command the image lacks fails to start (StartError); a typo in an init container's script blocks the pod", async () => {
    const s = await start();
    await patchContainer({ image: "ghcr.io/acme/api:1.6.0", command: ["invalid-command"] });
    s.advance(20_000);
    let pod = await podOf();
    expect(await jsonpath(pod, "{.status.containerStatuses[0].lastState.terminated.reason}")).toBe(
      "StartError",
    );
    expect(await jsonpath(pod, "{.status.containerStatuses[0].lastState.terminated.message}")).toContain(
      'exec: "invalid-command": executable file not found in $PATH',
    );
    await k("-n", "demo", "rollout", "undo", "deployment/api");
    s.advance(30_000);
    await patchPodSpec({
      initContainers: [
        {
          name: "fetch",
          image: "busybox:1.36",
          command: ["sh", "-c", "wge -O /data/x http://cdn/x"],
        },
      ],
    });
    s.advance(40_000);
    pod = await podOf();
    expect(await k("-n", "demo", "get", pod, "--no-headers")).toMatch(/Init:CrashLoopBackOff|Init:Error/);
    expect(await k("-n", "demo", "logs", pod, "-c", "fetch", "--previous")).toContain("sh: wge: not found");
  });
});
