import { describe, expect, it } from "vitest";
import type { IncidentStatus, IncidentSummary } from "../../core/types.ts";
import { stats } from "../../server/dashboard/views.ts";

function summary(
  id: string,
  status: IncidentStatus,
  opts: { action?: string; actedAt?: string; reason?: string; mttrMs?: number; resolvedAt?: string } = {},
): IncidentSummary {
  return {
    id,
    status,
    statusReason: opts.reason ?? null,
    target: { kind: "docker_container", key: `docker:${id}`, name: id },
    alertCount: 1,
    alertnames: ["ContainerUnhealthy"],
    decision: opts.action
      ? { action: opts.action as "restart_container", target: id, confidence: 0.9, planner: "heuristic" }
      : null,
    receivedAt: "2026-12-07T10:00:00.000Z",
    decidedAt: opts.action ? "2026-12-07T10:00:01.000Z" : null,
    actedAt: opts.actedAt ?? null,
    verifiedAt: null,
    resolvedAt: opts.resolvedAt ?? null,
    mttrMs: opts.mttrMs ?? null,
  };
}

describe("overview figures from summaries", () => {
  it("counts each finished incident's action by outcome and lists recoveries oldest first", () => {
    const acted = "2026-12-07T10:00:02.000Z";
    const s = stats(
      [
        summary("a", "resolved", {
          action: "restart_container",
          actedAt: acted,
          mttrMs: 9000,
          resolvedAt: "2026-12-07T10:05:00Z",
        }),
        summary("b", "resolved", {
          action: "restart_container",
          actedAt: acted,
          mttrMs: 3000,
          resolvedAt: "2026-12-07T10:01:00Z",
        }),
        // The tool failed: never marked as sent, the reason says so.
        summary("c", "failed", { action: "restart_container", reason: "action_failed: engine said 500" }),
        summary("d", "failed", {
          action: "scale_service",
          actedAt: acted,
          reason: "not healthy after 2 attempt(s)",
        }),
        summary("e", "escalated", { action: "restart_container", reason: "action_refused: cap reached" }),
        summary("f", "acting", { action: "restart_container", actedAt: acted }),
        summary("g", "escalated"),
      ],
      { resolved: 2 },
    );
    expect(s.actions).toEqual({
      restart_container: { verified: 2, failed: 1 },
      scale_service: { unverified: 1 },
    });
    expect(s.recoveries.map((r) => [r.id, r.seconds])).toEqual([
      ["b", 3],
      ["a", 9],
    ]);
    expect(s.window).toBe(7);
  });
});
