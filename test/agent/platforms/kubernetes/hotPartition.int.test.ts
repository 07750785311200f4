import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../../agent/planners/heuristic.ts";
import {
  hotPartitionSignals,
  lagTrendCheck,
  partitionLags,
  type PartitionLag,
} from "../../../../agent/platforms/kubernetes/observers/kafkaLag.ts";
import type { KubeTools } from "../../../../agent/platforms/kubernetes/tools.ts";
import { consumerGroupSignals } from "../../../../agent/platforms/kubernetes/signals.ts";
import { defaultPolicy } from "../../../../agent/policy/loadPolicy.ts";
import type { Signal, Target } from "../../../../core/types.ts";
import type { KubeClients } from "../../../../tools/kubernetes/client.ts";
import { waitFor } from "../../../helpers/docker.ts";
import { usePrometheusScraping } from "../../../helpers/prometheus.ts";

/**
 * kafka-exporter's series as it exposes them (consumergroup, topic, partition), scraped by a real Prometheus:
 * group "playback" has a hot partition (a skewed key: partition 3 holds the lag, the other 7 are caught up);
 * group "orders" lags evenly on all 6 partitions (too few consumers: the look-alike).
 */
function exposition(): string {
  const line = (group: string, p: number, v: number) =>
    `kafka_consumergroup_lag{consumergroup="${group}",topic="${group}",partition="${p}"} ${v}`;
  return [
    "# HELP kafka_consumergroup_lag Current Approximate Lag of a ConsumerGroup at Topic/Partition.",
    "# TYPE kafka_consumergroup_lag gauge",
    ...Array.from({ length: 8 }, (_, p) => line("playback", p, p === 3 ? 18_400 : p === 5 ? 12 : 0)),
    ...Array.from({ length: 6 }, (_, p) => line("orders", p, 2_000 + p * 150)),
    "",
  ].join("\n");
}

const prom = usePrometheusScraping(exposition);

const deps = () => ({ kube: {} as KubeClients, tools: {} as KubeTools, prometheusUrl: prom.url });
const lagsOf = (group: string, partitions: number) =>
  waitFor(
    async () => {
      const errors: string[] = [];
      const lags = await partitionLags(deps(), group, errors);
      expect(errors).toEqual([]);
      return lags.length === partitions ? lags : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 300, what: `every partition of ${group} in Prometheus` },
  );
const target: Target = {
  kind: "k8s_workload",
  key: "k8s:streaming/deployment/playback-consumer",
  namespace: "streaming",
  workload: "deployment",
  name: "playback-consumer",
};
const decide = (signals: Signal[]) =>
  new HeuristicPlanner().decide({
    incident: { id: "inc_kafka", alerts: [] },
    target,
    evidence: { collectedAt: new Date().toISOString(), signals, observations: {}, errors: [] },
    recalled: [],
    policy: defaultPolicy(),
  });
const lagging = (group: string, partitions: number, readyConsumers: number) =>
  consumerGroupSignals({ group, partitions, readyConsumers, lagSeen: "kafka_consumergroup_lag" });

describe("Kafka lag read per partition (kafka-exporter through Prometheus)", () => {
  it("lag on one partition while the others are caught up: a hot key, escalated; no consumers added", async () => {
    const lags: PartitionLag[] = await lagsOf("playback", 8);
    const hot = hotPartitionSignals("playback", lags);
    expect(hot.map((s) => [s.name, s.value])).toEqual([["lag_on_few_partitions", "3"]]);
    // Two consumers for eight partitions: without the per-partition view this looked like too few consumers.
    const d = await decide([...lagging("playback", 8, 2), ...hot]);
    expect(d.action).toBe("none");
    expect(d.rationale).toMatch(/hot key/);
  });

  it("look-alike: lag spread over every partition with too few consumers still adds consumers", async () => {
    const lags = await lagsOf("orders", 6);
    expect(hotPartitionSignals("orders", lags)).toEqual([]);
    const d = await decide(lagging("orders", 6, 2));
    expect(d.action).toBe("add_kafka_consumers");
  });
});

describe("hot partition judgement", () => {
  const lags = (...v: number[]) => v.map((lag, i) => ({ partition: String(i), lag }));
  it("a few hot partitions out of many count; half the partitions lagging does not", () => {
    expect(hotPartitionSignals("g", lags(900, 800, 0, 0, 0, 0, 0, 5))[0]?.value).toBe("0,1");
    expect(hotPartitionSignals("g", lags(900, 800, 700, 600, 0, 0, 0, 0))).toEqual([]);
  });
  it("no lag, or a single partition, says nothing", () => {
    expect(hotPartitionSignals("g", lags(0, 0, 0, 0))).toEqual([]);
    expect(hotPartitionSignals("g", lags(5000))).toEqual([]);
  });
});

describe("verification of more consumers reads the lag's trend, not the consumer count", () => {
  const report = (n: number) =>
    `WARN consumer group g: lag ${n} messages on topic g (8 active consumers for 8 partitions)`;
  const served = "INFO served 0 requests in 10s (errors 0.0%, p95 5ms)";
  it("a lag that still grows (a hot partition) fails the check; a falling one passes", () => {
    expect(lagTrendCheck({ c1: [report(18_000), report(18_400), report(18_900)] })).toMatchObject({
      ok: false,
    });
    expect(lagTrendCheck({ c1: [report(18_000), report(9_000), report(2_100)] })).toMatchObject({ ok: true });
  });
  it("no lag report in the newest lines is caught up; a single report is no trend yet", () => {
    expect(lagTrendCheck({ c1: [report(500), served, served, served] }).ok).toBe(true);
    expect(lagTrendCheck({ c1: [served, report(500)] }).ok).toBe(false);
  });
});
