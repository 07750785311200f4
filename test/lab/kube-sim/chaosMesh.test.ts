import { describe, expect, it } from "vitest";
import type { KubeSim } from "@aegisops/kube-sim";
import { clusterManifests, deployment, manifests, service } from "../../helpers/kubeManifests.ts";
import { useVirtualSim, walk } from "./helpers.ts";
import { metric } from "./world.ts";

// Chaos Mesh's experiments (chaos-mesh.org/v1alpha1) applied with the real kubectl on a virtual clock: the
// simulator's chaos controller acts on the selected pods while an experiment runs, and the symptoms are the
// cluster's own (probes, endpoints, restarts, the callers' latency and errors, logs).
const FIXTURE = manifests(
  `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/api:1.0.0: {}
  ghcr.io/acme/web:1.0.0: { dependsOn: [{ service: api }] }`,
  clusterManifests(1, ["demo"]),
  deployment(
    "api",
    "demo",
    [
      {
        name: "api",
        image: "ghcr.io/acme/api:1.0.0",
        ports: [{ containerPort: 8080 }],
        resources: { limits: { memory: "256Mi" } },
        readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 5, timeoutSeconds: 1 },
      },
    ],
    { labels: { tier: "backend" } },
  ),
  service("api", "demo"),
  deployment("web", "demo", [
    { name: "web", image: "ghcr.io/acme/web:1.0.0", ports: [{ containerPort: 8080 }] },
  ]),
);

const { start, k, run, podName, apply } = useVirtualSim(FIXTURE);

const experiment = (kind: string, name: string, spec: string) => `
apiVersion: chaos-mesh.org/v1alpha1
kind: ${kind}
metadata: { name: ${name}, namespace: demo }
spec:
  mode: all
  selector: { namespaces: [demo], labelSelectors: { app: api } }
${spec
  .trim()
  .split("\n")
  .map((l) => `  ${l}`)
  .join("\n")}
`;

/** Share of web's requests slower than `le` seconds over the next `ms`, from its latency histogram. */
function slowShare(sim: KubeSim, le: string, ms: number): number {
  const b0 = metric(sim, "http_request_duration_seconds_bucket", { service: "web", le });
  const c0 = metric(sim, "http_request_duration_seconds_count", { service: "web" });
  walk(sim, ms);
  const n = metric(sim, "http_request_duration_seconds_count", { service: "web" }) - c0;
  return n ? 1 - (metric(sim, "http_request_duration_seconds_bucket", { service: "web", le }) - b0) / n : 0;
}

/** Share of web's requests answered 5xx over the next `ms`. */
function errorShare(sim: KubeSim, ms: number): number {
  const bad = () =>
    ["500", "502", "503", "504"].reduce(
      (n, code) => n + metric(sim, "http_requests_total", { service: "web", code }),
      0,
    );
  const b0 = bad();
  const a0 = metric(sim, "http_requests_total", { service: "web" });
  walk(sim, ms);
  const all = metric(sim, "http_requests_total", { service: "web" }) - a0;
  return all ? (bad() - b0) / all : 0;
}

const apiPod = () => podName("demo", "app=api");

describe("Chaos Mesh experiments", () => {
  it("NetworkChaos delay is a served object; while it exists the caller is slower, and deleting it ends that", async () => {
    const s = await start();
    walk(s, 10_000);
    expect(slowShare(s, "0.25", 20_000)).toBeLessThan(0.05);
    const applied = await run(
      ["apply", "-f", "-"],
      experiment("NetworkChaos", "api-delay", "action: delay\ndelay: { latency: 300ms }"),
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain("networkchaos.chaos-mesh.org/api-delay created");
    walk(s, 5000);
    expect(await k("-n", "demo", "get", "networkchaos")).toMatch(/api-delay\s+\d+s/);
    const pod = await apiPod();
    expect(await k("-n", "demo", "describe", "networkchaos", "api-delay")).toContain(
      `Successfully apply chaos for demo/${pod}`,
    );
    expect(slowShare(s, "0.25", 20_000)).toBeGreaterThan(0.5);
    await k("-n", "demo", "delete", "networkchaos", "api-delay");
    walk(s, 2000);
    expect(slowShare(s, "0.25", 20_000)).toBeLessThan(0.05);
  });

  it("NetworkChaos loss 99% with a duration: the probe times out, the Service loses its endpoint, and it all ends with TimeUp", async () => {
    const s = await start();
    walk(s, 10_000);
    await apply(
      experiment(
        "NetworkChaos",
        "api-loss",
        'action: loss\nloss: { loss: "99", correlation: "100" }\nduration: 60s',
      ),
    );
    walk(s, 20_000);
    const pod = await apiPod();
    expect(await k("-n", "demo", "describe", "pod", pod)).toMatch(
      /Readiness probe failed: Get "http:\/\/[\d.]+:8080\/healthz": context deadline exceeded/,
    );
    expect(await k("-n", "demo", "get", "endpoints", "api")).toMatch(/api\s+<none>/);
    expect(errorShare(s, 10_000)).toBeGreaterThan(0.9);
    walk(s, 50_000);
    const recovered = await k(
      "-n",
      "demo",
      "get",
      "networkchaos",
      "api-loss",
      "-o",
      'jsonpath={.status.conditions[?(@.type=="AllRecovered")].status} {.status.experiment.desiredPhase}',
    );
    expect(recovered).toBe("True Stop");
    expect(await k("-n", "demo", "describe", "networkchaos", "api-loss")).toContain(
      "Time up according to the duration",
    );
    expect(await k("-n", "demo", "get", "endpoints", "api")).toMatch(/api\s+[\d.]+:8080/);
    expect(errorShare(s, 10_000)).toBe(0);
  });

  it("PodChaos pod-failure swaps the image for pause (a restart), the pod stops answering; deleting the experiment puts the image back", async () => {
    const s = await start();
    walk(s, 10_000);
    const pod = await apiPod();
    await apply(experiment("PodChaos", "api-failure", "action: pod-failure"));
    walk(s, 20_000);
    expect(await k("-n", "demo", "get", "pod", pod, "-o", "jsonpath={.spec.containers[0].image}")).toBe(
      "gcr.io/google-containers/pause:latest",
    );
    const describe = await k("-n", "demo", "describe", "pod", pod);
    expect(describe).toContain("Container api definition changed, will be restarted");
    expect(describe).toMatch(/Restart Count:\s+1/);
    expect(describe).toMatch(
      /Readiness probe failed: Get "[^"]+": dial tcp [\d.]+:8080: connect: connection refused/,
    );
    expect(errorShare(s, 10_000)).toBeGreaterThan(0.9);
    await k("-n", "demo", "delete", "podchaos", "api-failure");
    walk(s, 20_000);
    expect(await k("-n", "demo", "get", "pod", pod, "-o", "jsonpath={.spec.containers[0].image}")).toBe(
      "ghcr.io/acme/api:1.0.0",
    );
    expect(await k("-n", "demo", "get", "pods", pod)).toMatch(new RegExp(`${pod}\\s+1/1\\s+Running\\s+2`));
    expect(errorShare(s, 10_000)).toBe(0);
  });

  it("a pod created after the experiment started is not selected (a ReplicaSet's replacement runs clean)", async () => {
    const s = await start();
    walk(s, 10_000);
    const pod = await apiPod();
    await apply(experiment("PodChaos", "api-failure", "action: pod-failure"));
    walk(s, 10_000);
    expect(await k("-n", "demo", "get", "pod", pod, "-o", "jsonpath={.spec.containers[0].image}")).toBe(
      "gcr.io/google-containers/pause:latest",
    );
    await k("-n", "demo", "delete", "pod", pod);
    walk(s, 15_000);
    const fresh = await apiPod();
    expect(fresh).not.toBe(pod);
    expect(await k("-n", "demo", "get", "pod", fresh, "-o", "jsonpath={.spec.containers[0].image}")).toBe(
      "ghcr.io/acme/api:1.0.0",
    );
    expect(errorShare(s, 10_000)).toBe(0);
  });

  it("HTTPChaos abort on POST: the callers' requests fail with reset connections, the GET probe still passes", async () => {
    const s = await start();
    walk(s, 10_000);
    await apply(
      experiment(
        "HTTPChaos",
        "api-abort",
        "target: Request\nport: 8080\nmethod: POST\npath: '*'\nabort: true",
      ),
    );
    walk(s, 20_000);
    expect(await k("-n", "demo", "get", "endpoints", "api")).toMatch(/api\s+[\d.]+:8080/);
    expect(errorShare(s, 10_000)).toBeGreaterThan(0.9);
    const web = await podName("demo", "app=web");
    expect(await k("-n", "demo", "logs", web)).toMatch(
      /cannot reach api: read tcp [\d.:]+->[\d.:]+: read: connection reset by peer/,
    );
  });

  it("HTTPChaos delay on POST: the callers wait, the GET probe and the server's own latency do not", async () => {
    const s = await start();
    walk(s, 10_000);
    await apply(
      experiment("HTTPChaos", "api-slow", "target: Request\nport: 8080\nmethod: POST\npath: '*'\ndelay: 2s"),
    );
    walk(s, 10_000);
    expect(slowShare(s, "1", 20_000)).toBeGreaterThan(0.5);
    expect(await k("-n", "demo", "get", "endpoints", "api")).toMatch(/api\s+[\d.]+:8080/);
    const own0 = metric(s, "http_request_duration_seconds_bucket", { service: "api", le: "1" });
    const all0 = metric(s, "http_request_duration_seconds_count", { service: "api" });
    walk(s, 10_000);
    const own = metric(s, "http_request_duration_seconds_bucket", { service: "api", le: "1" }) - own0;
    expect(own).toBe(metric(s, "http_request_duration_seconds_count", { service: "api" }) - all0);
  });

  it("StressChaos memory past the limit: OOMKilled once; the restarted container is free of the stress", async () => {
    const s = await start();
    walk(s, 10_000);
    const pod = await apiPod();
    await apply(experiment("StressChaos", "api-mem", "stressors: { memory: { workers: 1, size: 300MB } }"));
    walk(s, 30_000);
    const describe = await k("-n", "demo", "describe", "pod", pod);
    expect(describe).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+OOMKilled\n\s+Exit Code:\s+137/);
    walk(s, 60_000);
    expect(await k("-n", "demo", "get", "pods", pod)).toMatch(new RegExp(`${pod}\\s+1/1\\s+Running\\s+1 `));
  });

  it("IOChaos fault: the process's writes fail with EIO in its log and its requests fail", async () => {
    const s = await start();
    walk(s, 10_000);
    await apply(
      experiment("IOChaos", "api-io", "action: fault\nvolumePath: /var/lib/api\nerrno: 5\npercent: 50"),
    );
    walk(s, 20_000);
    expect(await k("-n", "demo", "logs", await apiPod())).toContain(
      "write /var/lib/api/data: input/output error",
    );
    const before = metric(s, "http_requests_total", { service: "api", code: "500" });
    walk(s, 10_000);
    expect(metric(s, "http_requests_total", { service: "api", code: "500" })).toBeGreaterThan(before);
  });

  it("a Schedule spawns its experiment each minute (managed-by label, owned by it); pausing stops it, deleting it removes the experiments", async () => {
    const s = await start();
    // The cron schedule fires on the minutes of the simulator's clock, which starts at the wall time: apply it 5 s
    // past a minute, so that its 55 s runs and the checks below fall at the same point of the cycle on every run.
    walk(s, 65_000 - (s.clock.now() % 60_000));
    const schedule = `
apiVersion: chaos-mesh.org/v1alpha1
kind: Schedule
metadata: { name: api-abort, namespace: demo }
spec:
  schedule: "* * * * *"
  historyLimit: 1
  concurrencyPolicy: Forbid
  type: HTTPChaos
  httpChaos:
    mode: all
    selector: { namespaces: [demo], labelSelectors: { app: api } }
    target: Request
    port: 8080
    method: POST
    path: "*"
    abort: true
    duration: 55s
`;
    await apply(schedule);
    walk(s, 65_000);
    const children = await k("-n", "demo", "get", "httpchaos", "-l", "managed-by=api-abort", "-o", "name");
    expect(children).toMatch(/^httpchaos.chaos-mesh.org\/api-abort-[0-9a-f]{5}$/m);
    expect(errorShare(s, 10_000)).toBeGreaterThan(0.9);
    await k("-n", "demo", "annotate", "schedule", "api-abort", "experiment.chaos-mesh.org/pause=true");
    walk(s, 3000);
    expect(errorShare(s, 60_000)).toBe(0);
    await k("-n", "demo", "delete", "schedule", "api-abort");
    walk(s, 2000);
    expect(await k("-n", "demo", "get", "httpchaos", "-o", "name")).toBe("");
  });
});
