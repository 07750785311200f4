import { describe, expect, it } from "vitest";
import { policySchema } from "../../../agent/policy/schema.ts";
import type { WebhookPayload } from "../../../core/alert.ts";
import type { Incident } from "../../../core/types.ts";
import type { KubeSim } from "@aegisops/kube-sim";
import { postAlerts, retargeted } from "../../helpers/alerts.ts";
import { getIncident, waitForFinished } from "../../helpers/aegis.ts";
import { look, useKubeHarness } from "./harness.ts";

/** The per-target cap under test: one action per target per hour. */
const CAP = 1;
const h = useKubeHarness(
  policySchema.parse({
    modes: { byTier: { high: "auto" } },
    verification: { retries: 0 },
    caps: { actionsPerTargetPerHour: CAP },
  }),
);

const NAMES = [
  "KubePodCrashLooping",
  "KubeDeploymentReplicasMismatch",
  "HighErrorRate",
  "KubeWorkloadUnhealthy",
  "SLOBurn",
];

/** `notifications` notifications of `perNotification` distinct alerts each, all about the same labels. */
function storm(
  labels: Record<string, string>,
  notifications: number,
  perNotification: number,
): WebhookPayload[] {
  return Array.from({ length: notifications }, (_, n) => {
    const alerts = Array.from(
      { length: perNotification },
      (_, i) =>
        retargeted({ ...labels, alertname: NAMES[i % NAMES.length]!, storm: `n${n}a${i}` }).alerts[0]!,
    );
    return { ...retargeted(labels), alerts };
  });
}

/** Post every notification at once, then let the cluster's time flow until every incident finished. */
async function unleash(
  payloads: WebhookPayload[],
  onTick: (sim: KubeSim) => void = () => {},
): Promise<Incident[]> {
  const answers = await Promise.all(payloads.map((p) => postAlerts(h.aegis.baseUrl, p)));
  for (const a of answers) expect(a.status).toBe(202);
  const ids = [
    ...new Set(answers.flatMap((a) => (a.body.incidents as Array<{ id: string }>).map((i) => i.id))),
  ];
  const sim = h.sim();
  const ticker = setInterval(() => {
    sim.advance(500);
    onTick(sim);
  }, 25);
  try {
    for (const id of ids) await waitForFinished(h.aegis.baseUrl, id, 45_000);
  } finally {
    clearInterval(ticker);
  }
  return Promise.all(ids.map((id) => getIncident(h.aegis.baseUrl, id)));
}

describe("Guard under a storm of alerts for one deployment", () => {
  it("30 concurrent alerts in 6 notifications → one incident, one action; the next storm hits the per-target cap", async () => {
    const sim = h.sim();
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(30_000);
    const first = await unleash(storm({ namespace: "shop", deployment: "checkout" }, 6, 5));

    expect(first).toHaveLength(1);
    expect(first[0]!.alerts).toHaveLength(30);
    expect(first[0]!.actions.map((a) => a.action)).toEqual(["rollback_deployment"]);
    expect(first[0]!.status).toBe("resolved");

    // A second bad release within the hour: the cap holds however many alerts arrive.
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(30_000);
    const generation = look(sim).deployment("checkout").metadata.generation;
    const second = await unleash(storm({ namespace: "shop", deployment: "checkout" }, 4, 5));

    expect(second).toHaveLength(1);
    expect(second[0]!.status).toBe("escalated");
    expect(second[0]!.actions).toHaveLength(0);
    expect(JSON.stringify(second[0]!.timeline)).toMatch(/cap 1/);
    expect(look(sim).deployment("checkout").metadata.generation).toBe(generation);
    expect(first[0]!.actions.length + second[0]!.actions.length).toBeLessThanOrEqual(CAP);
  });

  it("a storm about a workload in kube-system (protected by default) → dismissed, nothing touched", async () => {
    const sim = h.sim();
    const res = await fetch(`${sim.url}/apis/apps/v1/namespaces/kube-system/deployments`, {
      method: "POST",
      headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "coredns", namespace: "kube-system" },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "coredns" } },
          template: {
            metadata: { labels: { app: "coredns" } },
            spec: { containers: [{ name: "coredns", image: "registry.k8s.io/coredns:1.11.1" }] },
          },
        },
      }),
    });
    expect(res.status).toBe(201);
    h.advance(10_000);
    sim.inject({ family: "crashloop", target: "kube-system/coredns", variant: "bad_image" });
    h.advance(30_000);
    const generation = (await (
      await fetch(`${sim.url}/apis/apps/v1/namespaces/kube-system/deployments/coredns`, {
        headers: { authorization: `Bearer ${sim.adminToken}` },
      })
    ).json()) as { metadata: { generation: number } };
    const incidents = await unleash(storm({ namespace: "kube-system", deployment: "coredns" }, 3, 4));

    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.status).toBe("dismissed");
    expect(incidents[0]!.actions).toHaveLength(0);
    const after = (await (
      await fetch(`${sim.url}/apis/apps/v1/namespaces/kube-system/deployments/coredns`, {
        headers: { authorization: `Bearer ${sim.adminToken}` },
      })
    ).json()) as { metadata: { generation: number } };
    expect(after.metadata.generation).toBe(generation.metadata.generation);
  });

  it("a storm about a node under disk pressure → one drain that never takes web below its PDB or checkout below its budget", async () => {
    const sim = h.sim();
    // The node with the most web pods: the drain must evict them one at a time.
    const byNode = new Map<string, number>();
    for (const p of look(sim).pods("web"))
      byNode.set(p.spec.nodeName!, (byNode.get(p.spec.nodeName!) ?? 0) + 1);
    const node = [...byNode.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    sim.inject({ family: "disk_pressure", target: node });
    h.advance(10_000);
    const ready = (s: KubeSim, app: string) =>
      look(s)
        .pods(app)
        .filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
    const low = { web: Infinity, checkout: Infinity };
    const webReplicas = look(sim).deployment("web").spec.replicas!;
    const incidents = await unleash(storm({ node }, 5, 4), (s) => {
      low.web = Math.min(low.web, ready(s, "web"));
      low.checkout = Math.min(low.checkout, ready(s, "checkout"));
    });

    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.actions.map((a) => a.action)).toEqual(["cordon_drain_node"]);
    expect(incidents[0]!.status).toBe("resolved");
    // web: PDB minAvailable 2; checkout: 2 replicas, PDB maxUnavailable 1.
    expect(low.web).toBeGreaterThanOrEqual(2);
    expect(low.checkout).toBeGreaterThanOrEqual(1);
    expect(look(sim).deployment("web").spec.replicas).toBeGreaterThanOrEqual(webReplicas);
  });
});
