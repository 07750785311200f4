import { describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { approvalBlocks } from "../../slack/blocks/approvalBlocks.ts";
import { logExcerpt } from "../../slack/blocks/evidence.ts";
import { incidentAlert } from "../helpers/alerts.ts";
import { decisionFor } from "../helpers/decisions.ts";
import { incidentFor } from "../helpers/incidents.ts";
import { k8sWorkload } from "../helpers/targets.ts";

function incident(lines: string[], rationale = "the newest revision crashes"): Incident {
  return incidentFor({
    id: "inc_1",
    status: "awaiting_approval",
    statusReason: null,
    alerts: [incidentAlert({ alertname: "KubePodCrashLooping", severity: "critical" })],
    target: k8sWorkload("checkout"),
    evidence: {
      collectedAt: "2026-12-01T10:00:00Z",
      signals: [{ name: "crash_loop", value: true, detail: "3 of 3 pods failing" }],
      observations: { k8s_pod_logs: { "checkout-1": lines } },
      errors: [],
    },
    decision: decisionFor(
      "cordon_drain_node",
      {},
      {
        target: "sim-node-1",
        rationale,
        contributions: { crash_loop: 1 },
      },
    ),
    receivedAt: "2026-12-01T10:00:00Z",
  });
}

const waiting = { kind: "waiting" as const, approvers: [], required: 2, expiresAt: "2026-12-01T10:10:00Z" };

describe("approval message blocks", () => {
  it("log lines are redacted, and the telling ones chosen over request summaries", () => {
    const lines = [
      "INFO served 120 requests in 10s (errors 0.0%)",
      "connecting with password=hunter2 to db",
      "FATAL: config error: DATABASE_URL=postgres://app:s3cr3t@db/app is unreachable",
      "INFO served 0 requests in 10s (errors 0.0%)",
    ];
    const excerpt = logExcerpt(incident(lines));
    expect(excerpt).toHaveLength(1);
    expect(excerpt[0]).toContain("FATAL: config error");
    expect(excerpt.join("\n")).not.toContain("s3cr3t");
    const json = JSON.stringify(approvalBlocks(incident(lines), waiting));
    expect(json).not.toContain("s3cr3t");
    expect(json).not.toContain("hunter2");
  });

  it("the undo plan of an action a person undoes names the request that does it for this incident", () => {
    expect(JSON.stringify(approvalBlocks(incident([]), waiting))).toContain(
      "uncordon the node once it is healthy: `POST /api/incidents/inc_1/undo` (never automatic)",
    );
  });

  it("shows the disruption budgets' headroom when the investigation read them", () => {
    const i = incident([]);
    i.evidence!.observations.k8s_pdbs = {
      pdbs: [{ name: "checkout", disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 }],
    };
    expect(JSON.stringify(approvalBlocks(i, waiting))).toContain(
      "PDB headroom: checkout: 0 disruption(s) allowed (2 healthy, 2 needed)",
    );
    expect(JSON.stringify(approvalBlocks(incident([]), waiting))).not.toContain("PDB headroom");
  });

  it("stays inside Slack's limits however long the rationale", () => {
    const blocks = approvalBlocks(incident([], "x".repeat(10_000)), waiting);
    for (const b of blocks) {
      if (b.type === "section" && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      if (b.type === "header") expect(b.text.text.length).toBeLessThanOrEqual(150);
    }
  });

  it("a high-risk action asks to confirm the click and says two approvers are needed; an answered one has no buttons", () => {
    const json = JSON.stringify(approvalBlocks(incident([]), waiting));
    expect(json).toContain('"confirm"');
    expect(json).toContain("Needs 2 different approvers");
    const answered = JSON.stringify(
      approvalBlocks(incident([]), { kind: "answered", text: "Rejected by bob" }),
    );
    expect(answered).not.toContain("aegis_approve");
    expect(answered).toContain("Rejected by bob");
  });
});
