import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { defaultPolicy } from "../../../agent/policy/loadPolicy.ts";
import { signal } from "../../../agent/signals.ts";
import type { Signal } from "../../../core/types.ts";
import { k8sWorkload } from "../../helpers/targets.ts";

describe("a leak in a revision that has run for days (planner)", () => {
  const pod = k8sWorkload("checkout");
  const on = (signals: Signal[]) =>
    new HeuristicPlanner().decide({
      incident: { id: "inc_leak", alerts: [] },
      target: pod,
      evidence: { collectedAt: "2026-12-07T18:00:00.000Z", signals, observations: {}, errors: [] },
      recalled: [],
      policy: defaultPolicy(),
    });
  const growth = signal(
    "memory_growth",
    4,
    "working set grows 4.0 MiB/min in every one of 2 pod(s) of revision 7",
  );

  it("→ rollout_restart proposed as a stopgap, with a ticket-worthy note", async () => {
    const d = await on([growth, signal("leak_long_running", 4, "revision 7 (app:7) has run for 4.0 days")]);
    expect(d.action).toBe("rollout_restart");
    expect(d.rationale).toMatch(/buys about as long again; it does not fix the leak/);
    expect(d.notes?.[0]).toMatch(/^Ticket: .*Revision 7 \(app:7\) has run for 4\.0 days.*stopgap/);
  });

  it("look-alike: the growth came with a new release → rollback, no restart and no ticket note", async () => {
    const d = await on([growth, signal("recent_rollout", 8, "the growth began with revision 8")]);
    expect(d.action).toBe("rollback_deployment");
    expect(d.notes).toBeUndefined();
  });
});
