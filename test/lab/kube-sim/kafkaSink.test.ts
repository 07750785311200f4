import { describe, expect, it } from "vitest";
import { deployment, manifests, service } from "../../helpers/kubeManifests.ts";
import { clusterManifests, useVirtualSim, walk } from "./helpers.ts";

// A Kafka consumer that writes every message to a service (its sink): its rate follows the sink's state.
// Read with the real kubectl on a virtual clock.
/** A worker (no traffic of its own) that writes each job it takes to the service search. */
const sinkWriter = (name: string, source: Record<string, string>) =>
  deployment(name, "app", [{ name, image: "ghcr.io/acme/analytics:1.0" }], {
    annotations: { "kube-sim.aegisops.io/rps": "0", ...source, "kube-sim.aegisops.io/calls": "search" },
  });
const FIXTURE = `
${clusterManifests(2, ["app"])}---
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/search:1.0: { port: 9200, cpuMillicores: 3000, latencyMs: 3000, logs: ["WARNING: Index merge thread consuming excessive CPU"] }
  ghcr.io/acme/search:1.1: { port: 9200 }
  ghcr.io/acme/analytics:1.0: {}
---
${manifests(
  sinkWriter("indexer", { "kube-sim.aegisops.io/queue": "reindex/20/5" }),
  deployment("search", "app", [
    {
      name: "search",
      image: "ghcr.io/acme/search:1.0",
      ports: [{ containerPort: 9200 }],
      resources: { requests: { cpu: "10m" }, limits: { cpu: "200m" } },
    },
  ]),
  service("search", "app", { port: 9200, targetPort: 9200 }),
  sinkWriter("analytics", { "kube-sim.aegisops.io/kafka": "analytics-group/messages/1/50/10" }),
)}`;

const { start, k } = useVirtualSim(FIXTURE);
const lag = async () => {
  const m = await k("get", "--raw", "/metrics");
  const line = m
    .split("\n")
    .find(
      (l) => l.startsWith("kafka_consumergroup_lag_sum{") && l.includes('consumergroup="analytics-group"'),
    );
  expect(line).toBeDefined();
  return Number(line!.split(" ").pop());
};

describe("a Kafka consumer writing to a slow sink", () => {
  it("falls behind while the sink is CPU-throttled and slow, and catches up once the sink is fast again", async () => {
    const s = await start();
    walk(s, 60_000);
    const behind = await lag();
    // 10 messages/s produced; about one write per 3.3 s gets through.
    expect(behind).toBeGreaterThan(400);
    walk(s, 60_000);
    expect(await lag()).toBeGreaterThan(behind + 400);
    const m = await k("get", "--raw", "/metrics");
    expect(m).toMatch(/container_cpu_cfs_throttled_periods_total\{[^}]*pod="search-[^}]*\} [1-9]/);
    // The sink's own log says why it is slow; the consumer's says only that it is behind.
    expect(await k("-n", "app", "logs", "deploy/search")).toContain(
      "WARNING: Index merge thread consuming excessive CPU",
    );
    expect(await k("-n", "app", "logs", "deploy/analytics")).toMatch(
      /WARN consumer group analytics-group: lag \d+ messages/,
    );
    // A queue's workers writing to the same sink fall behind the same way (5 jobs/s arrive, 20/s per worker).
    expect(await k("-n", "app", "logs", "deploy/indexer")).toMatch(
      /WARN queue reindex: \d+ messages waiting/,
    );
    // The sink's fix (here a release without the merge threads) lets the consumer drain its backlog at 50/s.
    await k("-n", "app", "set", "image", "deploy/search", "search=ghcr.io/acme/search:1.1");
    walk(s, 30_000);
    const after = await lag();
    walk(s, 30_000);
    expect(await lag()).toBeLessThan(after);
  });
});
