import { describe, expect, it } from "vitest";
import { evidenceOf, heuristicDecision } from "../../../helpers/decisions.ts";
import { defaultPolicy } from "../../../../agent/policy/loadPolicy.ts";
import { judgePlausibility } from "../../../../agent/policy/plausibility.ts";
import {
  errorSignals,
  latencyRose,
  latencySignals,
  type PodLatency,
} from "../../../../agent/platforms/kubernetes/latencyHistory.ts";
import {
  errorAlert,
  latencyAlert,
  latencyQueryOf,
} from "../../../../agent/platforms/kubernetes/observers/latency.ts";
import { serviceRef } from "../../../../agent/platforms/kubernetes/observers/serviceBehind.ts";
import type { IncidentAlert, Signal, Target } from "../../../../core/types.ts";
import type { DeploymentSnapshot, RevisionSnapshot } from "../../../../tools/kubernetes/rolloutHistory.ts";
import { incidentAlert } from "../../../helpers/alerts.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const T0 = Date.parse("2026-12-07T12:00:00Z");
const revision = (n: number, hash: string, image: string): RevisionSnapshot => ({
  name: `bidder-${hash}`,
  revision: n,
  templateHash: hash,
  replicas: 2,
  readyReplicas: 2,
  createdAt: new Date(T0 + (n - 2) * 3_600_000).toISOString(),
  images: [image],
  template: {},
});
const rollout = (...revisions: RevisionSnapshot[]): DeploymentSnapshot => ({
  name: "bidder",
  namespace: "app",
  uid: "u",
  replicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
  updatedReplicas: 2,
  generation: 2,
  observedGeneration: 2,
  revision: revisions[0]!.revision,
  selector: "app=bidder",
  conditions: [],
  revisions,
});
const v2 = revision(2, "b2", "bidder:2.0");
const v1 = revision(1, "a1", "bidder:1.0");
/** A pod's readings: `n` points 15 s apart from `from` ms on, each `seconds`. */
const pod = (name: string, seconds: number, from = T0, n = 8): PodLatency => ({
  pod: name,
  points: Array.from({ length: n }, (_, i) => [from + i * 15_000, seconds] as const),
});

const target: Target = k8sWorkload("bidder", { namespace: "app" });
const decide = (signals: Signal[]) => heuristicDecision(target, signals);

/** A firing alert named `alertname` from the Prometheus rule `expr` (its generator URL), begun at T0. */
const alert = (alertname: string, expr = ""): IncidentAlert =>
  incidentAlert({ alertname }, "firing", {
    fingerprint: alertname,
    startsAt: new Date(T0).toISOString(),
    receivedAt: new Date(T0).toISOString(),
    generatorURL: expr ? `http://prom:9090/graph?g0.expr=${encodeURIComponent(expr)}` : "",
  });

describe("latency read from history, per revision", () => {
  it("the new revision's pods answer far slower than the previous revision's did → latency_began_with_revision → rollback", async () => {
    const signals = latencySignals(
      rollout(v2, v1),
      [pod("bidder-a1-x1", 0.06), pod("bidder-a1-x2", 0.07), pod("bidder-b2-y1", 1.9, T0 + 120_000)],
      "p95",
    );
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ name: "latency_began_with_revision", value: 2 });
    expect(signals[0]!.detail).toMatch(
      /revision 2 \(bidder:2\.0\) is 1900 ms .* against 65 ms for revision 1/,
    );
    const d = await decide([...signals, { name: "recent_rollout", value: 2, detail: "" }]);
    expect(d.action).toBe("rollback_deployment");
    expect(d.family).toBe("latency_p95");
    expect(
      judgePlausibility({ decision: d, target, evidence: evidenceOf(signals), policy: defaultPolicy() })
        .verdict,
    ).toBe("ok");
  });

  it("look-alikes: both revisions as slow (load or a dependency); slower by less than 100 ms; no previous revision's readings", async () => {
    const bothSlow = latencySignals(
      rollout(v2, v1),
      [pod("bidder-a1-x1", 1.8), pod("bidder-b2-y1", 1.9)],
      "p95",
    );
    // Both as slow: said so (the release did not bring it), and the decision escalates instead of rolling back.
    expect(bothSlow).toHaveLength(1);
    expect(bothSlow[0]).toMatchObject({ name: "latency_predates_revision", value: 2 });
    expect(bothSlow[0]!.detail).toMatch(/revision 2 is 1900 ms .* against 1800 ms for revision 1/);
    const escalated = await decide([
      ...bothSlow,
      { name: "recent_rollout", value: 2, detail: "" },
      { name: "slow_responses", value: true, detail: "" },
    ]);
    expect(escalated.action).toBe("none");
    expect(escalated.disposition).toBe("escalate");
    expect(escalated.rationale).toMatch(/previous revision's pods answered as slowly/);
    expect(
      latencySignals(rollout(v2, v1), [pod("bidder-a1-x1", 0.02), pod("bidder-b2-y1", 0.08)], "p95").map(
        (x) => x.name,
      ),
    ).toEqual(["latency_predates_revision"]);
    expect(latencySignals(rollout(v2, v1), [pod("bidder-b2-y1", 1.9)], "p95")).toEqual([]);
    expect(latencySignals(rollout(v2), [pod("bidder-b2-y1", 1.9)], "p95")).toEqual([]);
    // A Deployment whose name extends this one's (bidder-b2…) is not its revision's pod.
    expect(
      latencySignals(rollout(v2, v1), [pod("bidder-a1-x1", 0.05), pod("bidder-b2x-y1", 1.9)], "p95"),
    ).toEqual([]);
    const d = await decide([
      { name: "recent_rollout", value: 2, detail: "" },
      { name: "healthy", value: true, detail: "" },
    ]);
    expect(d.action).toBe("none");
  });

  it("a workload that became slow within the window, whatever its revisions; not one slow all along", () => {
    const rising = [pod("c-1", 0.05, T0, 6), pod("c-1", 0.8, T0 + 90_000, 6)];
    expect(latencyRose(rising)).toEqual({ before: 0.05, now: 0.8 });
    expect(latencyRose([pod("c-1", 0.8, T0, 12)])).toBeUndefined();
    expect(latencyRose([pod("c-1", 0.05, T0, 4)])).toBeUndefined();
  });

  it("the histogram and quantile come from the alert's own rule; only slowness alerts read latency", () => {
    expect(
      latencyQueryOf(
        "histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket[5m]))) > 500",
      ),
    ).toEqual({ histogram: "istio_request_duration_milliseconds", quantile: 0.99 });
    expect(latencyQueryOf(undefined)).toEqual({ histogram: "http_request_duration_seconds", quantile: 0.95 });
    expect(latencyAlert([alert("LatencyP95High")])).toEqual({
      histogram: "http_request_duration_seconds",
      quantile: 0.95,
    });
    expect(latencyAlert([alert("KubePodCrashLooping")])).toBeUndefined();
    expect(
      latencyAlert([alert("High5xx", 'sum(rate(http_requests_total{code=~"5.."}[5m])) > 1')]),
    ).toBeUndefined();
  });

  it("a callee's name reads in the caller's namespace, or the one its DNS name gives", () => {
    expect(serviceRef("payments", "shop")).toEqual({ name: "payments", namespace: "shop" });
    expect(serviceRef("payments.billing", "shop")).toEqual({ name: "payments", namespace: "billing" });
    expect(serviceRef("payments.billing.svc.cluster.local", "shop")).toEqual({
      name: "payments",
      namespace: "billing",
    });
  });

  it("5xx by revision: the new revision's pods err, the previous revision's did not → errors_began_with_revision → rollback; both erring, or a trickle → nothing", async () => {
    const [s] = errorSignals(rollout(v2, v1), [
      pod("bidder-a1-x1", 0.001),
      pod("bidder-b2-y1", 0.6, T0 + 120_000),
    ]);
    expect(s).toMatchObject({ name: "errors_began_with_revision", value: 2 });
    expect(s!.detail).toMatch(/answers 60\.0 % of requests with 5xx .* against 0\.1 % for revision 1/);
    const d = await decide([s!]);
    expect(d.action).toBe("rollback_deployment");
    expect(d.family).toBe("http_5xx");
    const both = errorSignals(rollout(v2, v1), [pod("bidder-a1-x1", 0.5), pod("bidder-b2-y1", 0.6)]);
    expect(both).toHaveLength(1);
    expect(both[0]).toMatchObject({ name: "errors_predate_revision", value: 2 });
    expect(both[0]!.detail).toMatch(/answers 60\.0 % .* revision 1 answered 50\.0 %/);
    const escalated = await decide([...both, { name: "http_errors", value: true, detail: "" }]);
    expect(escalated.action).toBe("none");
    expect(escalated.rationale).toMatch(/previous revision's pods answered as many/);
    expect(errorSignals(rollout(v2, v1), [pod("bidder-a1-x1", 0), pod("bidder-b2-y1", 0.02)])).toEqual([]);
    expect(errorSignals(rollout(v2), [pod("bidder-b2-y1", 0.6)])).toEqual([]);
  });

  it("error alerts: the counter and status label the rule's 5xx matcher reads, else the defaults by name", () => {
    expect(errorAlert([alert("X", 'sum(rate(istio_requests_total{response_code=~"5.*"}[5m])) > 1')])).toEqual(
      { counter: "istio_requests_total", label: "response_code" },
    );
    expect(errorAlert([alert("RequestErrorRate")])).toEqual({
      counter: "http_requests_total",
      label: "code",
    });
    expect(errorAlert([alert("LatencyP95High")])).toBeUndefined();
  });
});
