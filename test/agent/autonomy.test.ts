import { describe, expect, it } from "vitest";
import { Autonomy } from "../../agent/autonomy/autonomy.ts";
import { effectiveMode } from "../../agent/policy/mode.ts";
import { policySchema, type Policy, type PolicyMode } from "../../agent/policy/schema.ts";
import type { ActionId } from "../../core/catalog.ts";
import { silentLogger } from "../../core/logger.ts";
import type { Incident, IncidentStatus, TimelineEntry } from "../../core/types.ts";
import { openDatabase } from "../../store/db.ts";
import type { ListQuery } from "../../store/incidentRepository.ts";
import { SqliteRuntimeSettings } from "../../store/runtimeSettings.ts";
import { incidentAlert } from "../helpers/alerts.ts";
import { decisionFor } from "../helpers/decisions.ts";
import { incidentFor } from "../helpers/incidents.ts";

const NOW = Date.now();
const TARGET = "k8s::shop/deployment/checkout";
const ago = (min: number) => new Date(NOW - min * 60_000).toISOString();

let seq = 0;
/** A finished incident of service checkout, as the repository returns it. */
function incident(
  status: IncidentStatus,
  opts: {
    action?: ActionId;
    minutesAgo?: number;
    approved?: boolean;
    alertResolved?: boolean;
    target?: string;
  } = {},
): Incident {
  const at = ago(opts.minutesAgo ?? 10);
  const action = opts.action ?? "rollout_restart";
  const timeline: TimelineEntry[] = [{ at, step: "received", message: "" }];
  if (opts.approved) {
    timeline.push({
      at,
      step: "approval",
      message: "",
      data: { approved: true, by: "alice", via: "slack", counted: true, decided: true },
    });
  }
  if (opts.alertResolved) timeline.push({ at, step: "alert_resolved", message: "" });
  timeline.push({ at, step: status, message: "" });
  return incidentFor({
    id: `inc_${++seq}`,
    status,
    statusReason: null,
    alerts: [incidentAlert({ alertname: "X", service: "checkout" })],
    target: {
      kind: "k8s_workload",
      key: opts.target ?? TARGET,
      namespace: "shop",
      workload: "deployment",
      name: "checkout",
    },
    decision: decisionFor(action, {}, { target: "shop/checkout" }),
    actions:
      status === "advised"
        ? []
        : [
            {
              key: `k${seq}`,
              action,
              target: "shop/checkout",
              params: {},
              attempt: 1,
              state: "sent",
              requestedAt: at,
            },
          ],
    timeline,
    receivedAt: at,
    decidedAt: at,
    actedAt: at,
    verifiedAt: at,
    resolvedAt: at,
  });
}

function setup(
  incidents: Incident[],
  policyFields: Record<string, unknown> = {},
  query?: (q: string) => Promise<number | undefined>,
) {
  const policy: Policy = policySchema.parse(policyFields);
  const list = async (q: ListQuery) => incidents.filter((i) => !q.status || i.status === q.status);
  const settings = new SqliteRuntimeSettings(openDatabase(":memory:"));
  const autonomy = new Autonomy({
    incidents: { list },
    policy,
    settings,
    logger: silentLogger(),
    now: () => NOW,
    ...(query ? { query } : {}),
  });
  const steer = (mode: PolicyMode, action: ActionId = "rollout_restart", target = TARGET) =>
    autonomy.steer({ mode, action, target, service: "checkout" });
  return { autonomy, steer, policy };
}

describe("policy modes", () => {
  it.each([
    ["advise", "low", "advise"],
    ["advise", "high", "advise"],
    ["approve", "low", "approve"],
    ["approve", "high", "approve"],
    ["auto", "low", "auto"],
    ["auto", "medium", "auto"],
    ["auto", "high", "approve"],
  ] as const)(
    "process mode %s, %s risk → %s (high needs approval by default)",
    (processMode, tier, expected) => {
      const action: ActionId =
        tier === "low" ? "rollout_restart" : tier === "medium" ? "scale_deployment" : "cordon_drain_node";
      const policy = policySchema.parse({});
      expect(
        effectiveMode(
          policy,
          processMode,
          action,
          { kind: "k8s_workload", key: TARGET, namespace: "shop", workload: "deployment", name: "checkout" },
          "checkout",
        ),
      ).toBe(expected);
    },
  );

  it("with no record, autonomy leaves every mode as the policy made it", async () => {
    const { steer } = setup([]);
    for (const m of ["advise", "approve", "auto"] as const) expect((await steer(m)).mode).toBe(m);
  });
});

describe("the failed-heal budget", () => {
  it("spent (5 failed auto-heals this week) → the service falls back to approve, and says why", async () => {
    const failures = Array.from({ length: 5 }, (_, i) =>
      incident("failed", { minutesAgo: 200 * (i + 1), target: `t${i}` }),
    );
    const { steer } = setup(failures);
    const r = await steer("auto");
    expect(r.mode).toBe("approve");
    expect(r.reasons.join()).toMatch(
      /spent its failed-heal budget \(5 failed auto-heals in 7 days, budget 5\)/,
    );
  });

  it("not spent: 4 failures, failures a person approved, and failures older than a week do not count", async () => {
    const { steer } = setup([
      ...Array.from({ length: 4 }, (_, i) =>
        incident("failed", { minutesAgo: 200 * (i + 1), target: `t${i}` }),
      ),
      incident("failed", { approved: true, target: "ta" }),
      incident("failed", { minutesAgo: 8 * 24 * 60, target: "tb" }),
    ]);
    expect((await steer("auto")).mode).toBe("auto");
  });

  it("the per-service budget is configurable, and an approver's reset starts the count afresh", async () => {
    const { steer, autonomy } = setup([incident("failed", { minutesAgo: 300, target: "t1" })], {
      slos: { checkout: { failedHeals: { maxPerWeek: 1 } } },
    });
    expect((await steer("auto")).mode).toBe("approve");
    await autonomy.resetBudget("checkout", "alice");
    expect((await steer("auto")).mode).toBe("auto");
  });
});

describe("the circuit breaker", () => {
  const three = () => [1, 10, 20].map((m) => incident("failed", { minutesAgo: m }));

  it("trips after 3 failed heals on one target within an hour: nothing more is done to it", async () => {
    const r = await setup(three()).steer("auto");
    expect(r.mode).toBe("blocked");
    expect(r.reasons[0]).toMatch(/circuit breaker open on .*checkout: 3 failed heal\(s\) in 60 min/);
  });

  it("stays closed for 2 failures, or 3 spread over more than the window, or on another target", async () => {
    expect((await setup(three().slice(1)).steer("auto")).mode).toBe("auto");
    expect(
      (await setup([1, 50, 120].map((m) => incident("failed", { minutesAgo: m }))).steer("auto")).mode,
    ).toBe("auto");
    expect((await setup(three()).steer("auto", "rollout_restart", "k8s::shop/deployment/web")).mode).toBe(
      "auto",
    );
  });

  it("resets after the cooldown, or when an approver resets it", async () => {
    const old = [61, 70, 80].map((m) => incident("failed", { minutesAgo: m }));
    expect((await setup(old).steer("auto")).mode).toBe("auto");
    const s = setup(three());
    await s.autonomy.resetBreaker(TARGET, "alice");
    expect((await s.steer("auto")).mode).toBe("auto");
  });
});

describe("earned autonomy", () => {
  const approved = (ok: number, bad: number) => [
    ...Array.from({ length: ok }, () => incident("resolved", { approved: true })),
    ...Array.from({ length: bad }, () => incident("failed", { approved: true, target: "other" })),
  ];

  it("passes the bar at 95 % over 20 scored actions, and not before", async () => {
    expect((await setup(approved(19, 0)).autonomy.record("checkout", "rollout_restart")).passes).toBe(false);
    expect((await setup(approved(19, 1)).autonomy.record("checkout", "rollout_restart")).passes).toBe(true);
    expect((await setup(approved(18, 2)).autonomy.record("checkout", "rollout_restart")).passes).toBe(false);
  });

  it("advice counts when its alert resolved afterwards; unresolved advice fails after an hour, pending before", async () => {
    const r = await setup([
      incident("advised", { alertResolved: true }),
      incident("advised", { minutesAgo: 120 }),
      incident("advised", { minutesAgo: 5 }),
    ]).autonomy.record("checkout", "rollout_restart");
    expect(r).toMatchObject({ success: 1, failure: 1, pending: 1 });
  });

  it("an accepted switch makes the action run without waiting; revoking it brings approval back", async () => {
    const { autonomy, steer } = setup(approved(20, 0));
    expect((await steer("approve")).mode).toBe("approve");
    await autonomy.acceptAuto("checkout", "rollout_restart", "alice (U0ALICE)");
    const r = await steer("approve");
    expect(r.mode).toBe("auto");
    expect(r.reasons[0]).toMatch(/earned auto \(accepted by alice/);
    expect((await steer("approve", "scale_deployment")).mode).toBe("approve");
    await autonomy.revokeAuto("checkout", "rollout_restart", "bob");
    expect((await steer("approve")).mode).toBe("approve");
  });
});

describe("error budgets and burn rates", () => {
  const slos = {
    slos: {
      checkout: { availability: { errorRatio: "sum(rate(errors[$window])) / sum(rate(requests[$window]))" } },
    },
  };
  const ratios = (byWindow: Record<string, number>) => async (q: string) =>
    byWindow[/\[(\w+)\]/.exec(q)![1]!];

  it("a fast burn (1h and 5m above 14.4×) lets low-risk actions skip waiting, not medium ones", async () => {
    const { steer, autonomy } = setup(
      [],
      slos,
      ratios({ "1h": 0.02, "5m": 0.03, "6h": 0.005, "30m": 0.01, "30d": 0.0005 }),
    );
    const r = await steer("approve");
    expect(r.mode).toBe("auto");
    expect(r.reasons[0]).toMatch(/burns fast \(20\.0× over 1h\)/);
    expect((await steer("approve", "scale_deployment")).mode).toBe("approve");
    const slo = await autonomy.slo("checkout");
    expect(slo.availability?.budgetLeft).toBeCloseTo(0.5);
    expect(slo.availability?.slowBurn).toBe(false);
  });

  it("a burn that already stopped (5m back to normal) does not count as fast", async () => {
    const { steer } = setup(
      [],
      slos,
      ratios({ "1h": 0.02, "5m": 0.0001, "6h": 0.005, "30m": 0.001, "30d": 0.0005 }),
    );
    expect((await steer("approve")).mode).toBe("approve");
  });

  it("a spent failed-heal budget wins over a fast burn", async () => {
    const failures = Array.from({ length: 5 }, (_, i) =>
      incident("failed", { minutesAgo: 200 * (i + 1), target: `t${i}` }),
    );
    const { steer } = setup(
      failures,
      slos,
      ratios({ "1h": 0.02, "5m": 0.03, "6h": 0.005, "30m": 0.01, "30d": 0.0005 }),
    );
    expect((await steer("approve")).mode).toBe("approve");
  });
});
