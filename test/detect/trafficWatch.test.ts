import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../agent/planners/heuristic.ts";
import { defaultPolicy } from "../../agent/policy/loadPolicy.ts";
import type { Target } from "../../core/types.ts";
import { loadDetectorParams } from "../../detect/versions.ts";
import { predictiveSchema } from "../../detect/watcher/config.ts";
import type { Prediction } from "../../detect/watcher/prediction.ts";
import { PredictionRegistry } from "../../detect/watcher/registry.ts";
import type { RangeSeries, SeriesSource } from "../../detect/watcher/source.ts";
import { PredictiveWatcher } from "../../detect/watcher/watcher.ts";

const MIN = 60_000;
const DAY = 1440 * MIN;
const MONDAY = Date.UTC(2026, 0, 5);
const labels = { namespace: "shop", deployment: "checkout" };

/** Requests per second: 100 at night, ramping over 08:00–09:00 to 400 on weekdays; 80 all weekend. */
function rps(t: number): number {
  const weekday = (Math.floor(t / DAY) + 4) % 7;
  if (weekday === 0 || weekday === 6) return 80;
  const minute = (t % DAY) / MIN;
  if (minute < 480) return 100;
  if (minute < 540) return 100 + (300 * (minute - 480)) / 60;
  if (minute < 1080) return 400;
  return 100;
}

const source: SeriesSource = {
  async queryRange(query, start, end, step) {
    const ts: number[] = [];
    for (let t = Math.ceil(start / (step * 1000)) * step * 1000; t <= end; t += step * 1000) ts.push(t);
    const at = query === "replicas" ? () => 2 : rps;
    return [{ labels, t: Float64Array.from(ts), v: Float64Array.from(ts.map(at)) } satisfies RangeSeries];
  },
};

/**
 * Runs a watcher of one traffic series (capacity 100 per replica, the replicas from `replicas`) from `from` to
 * `until`, a cycle every `everyMs`; returns what it raised.
 */
async function watchTraffic(
  series: Record<string, unknown>,
  from: number,
  until: number,
  everyMs: number,
): Promise<Prediction[]> {
  const raised: Prediction[] = [];
  const clock = { now: from };
  const w = new PredictiveWatcher({
    config: predictiveSchema.parse({
      series: [
        {
          name: "traffic",
          kind: "traffic",
          query: "q",
          capacityPerReplica: 100,
          replicasQuery: "replicas",
          ...series,
        },
      ],
    }),
    source,
    detectorParams: loadDetectorParams(),
    now: () => clock.now,
    raise: async (p) => {
      raised.push(p);
    },
  });
  for (; clock.now <= until; clock.now += everyMs) await w.cycle();
  return raised;
}

describe("predictive scaling from the seasonal traffic forecast", () => {
  it("raises the Monday-morning ramp before it starts, with the replicas it needs", async () => {
    const raised = await watchTraffic(
      { query: "rate(http_requests_total[1m])", unit: "none", forecastMinutes: 120 },
      MONDAY + 14 * DAY + 7 * 60 * MIN, // Monday 07:00, two weeks of history behind
      MONDAY + 14 * DAY + 10 * 60 * MIN,
      15_000,
    );
    expect(raised).toHaveLength(1);
    const p = raised[0]!;
    expect(p.kind).toBe("traffic");
    expect(p.at).toBeLessThan(MONDAY + 14 * DAY + 8 * 60 * MIN); // before the ramp starts
    expect(p.contributions.replicas_needed).toBe(6); // 400 / (100 × 0.7)
    expect(p.message).toMatch(
      /^checkout.s traffic is forecast to reach [34]\d\d in \d+ min \(×[34]\.\d of now, from 1 day\(s\) of history\); 6 replicas needed at 70 % of capacity, 2 running$/,
    );
    expect(p.leadTimeMs!).toBeGreaterThan(30 * MIN);

    // Through the pipeline: the registry's evidence makes the planner scale to what the forecast needs.
    const reg = new PredictionRegistry();
    const alert = await reg.record(p);
    const target: Target = {
      kind: "k8s_workload",
      key: "k8s:shop/deployment/checkout",
      namespace: "shop",
      workload: "deployment",
      name: "checkout",
    } as Target;
    const d = await new HeuristicPlanner().decide({
      incident: { id: "inc_ramp", alerts: [] },
      target,
      evidence: {
        collectedAt: new Date().toISOString(),
        signals: reg.signalsFor([alert]),
        observations: {},
        errors: [],
      },
      recalled: [],
      policy: defaultPolicy(),
    });
    expect(d.action).toBe("scale_deployment");
    expect(d.params).toEqual({ replicas: 6 });
    expect(d.family).toBe("traffic_spike");
  });

  it("raises again when a ramp needs more than the horizon first showed", async () => {
    const raised = await watchTraffic(
      { forecastMinutes: 45 },
      MONDAY + 14 * DAY + 7 * 60 * MIN,
      MONDAY + 14 * DAY + 10 * 60 * MIN,
      60_000,
    );
    const needed = raised.map((p) => p.contributions.replicas_needed!);
    expect(needed.length).toBeGreaterThan(1);
    expect(needed).toEqual([...needed].sort((a, b) => a - b)); // only ever more
    expect(needed.at(-1)).toBe(6);
    expect(raised.at(-1)!.at).toBeLessThan(MONDAY + 14 * DAY + 9 * 60 * MIN); // the full ramp before it peaks
  });

  it("does not scale on a weekend morning, which the weekly profile knows is quiet", async () => {
    const raised = await watchTraffic(
      {},
      MONDAY + 12 * DAY + 7 * 60 * MIN, // Saturday 07:00
      MONDAY + 12 * DAY + 10 * 60 * MIN,
      60_000,
    );
    expect(raised).toHaveLength(0);
  });

  it("rejects a traffic series without its capacity and replicas", () => {
    expect(() => predictiveSchema.parse({ series: [{ name: "t", kind: "traffic", query: "q" }] })).toThrow(
      /capacityPerReplica/,
    );
  });
});
