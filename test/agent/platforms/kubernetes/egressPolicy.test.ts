import type { V1NetworkPolicy } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { egressPolicySignals } from "../../../../agent/platforms/kubernetes/egressPolicy.ts";
import { HeuristicPlanner } from "../../../../agent/planners/heuristic.ts";
import { defaultPolicy } from "../../../../agent/policy/loadPolicy.ts";
import type { Incident, Target } from "../../../../core/types.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const TIMEOUT =
  "dial tcp: lookup nginx-service on 10.96.0.10:53: read udp 10.244.0.7:40112->10.96.0.10:53: i/o timeout";
const policy = (name: string, spec: V1NetworkPolicy["spec"]): V1NetworkPolicy => ({
  metadata: { name, namespace: "shop" },
  spec,
});
const denyAll = policy("default-deny-egress", { podSelector: {}, policyTypes: ["Egress"], egress: [] });
const allowDns = policy("allow-dns", {
  podSelector: {},
  policyTypes: ["Egress"],
  egress: [{ ports: [{ protocol: "UDP", port: 53 }] }],
});
const input = (policies: V1NetworkPolicy[], lines = [TIMEOUT], labels = { app: "client" }) => ({
  pod: "client-7d9f",
  labels,
  lines,
  policies,
});

describe("an egress NetworkPolicy that lets no DNS out", () => {
  it("unanswered lookups under a default-deny egress → the policy is named; the planner escalates naming it", async () => {
    const signals = egressPolicySignals(input([denyAll]));
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ name: "egress_denied_by_policy", value: "default-deny-egress" });
    const target: Target = k8sWorkload("client-7d9f", { workload: "pod" });
    const d = await new HeuristicPlanner().decide({
      incident: {} as Incident,
      target,
      evidence: {
        collectedAt: "",
        signals: [...signals, { name: "crash_loop", value: true, detail: "CrashLoopBackOff, 5 restarts" }],
        observations: {},
        errors: [],
      },
      recalled: [],
      policy: defaultPolicy(),
    });
    expect(d.action).toBe("none");
    expect(d.target).toBe("shop/networkpolicy/default-deny-egress");
    expect(d.rationale).toMatch(/NetworkPolicy/);
  });

  it("look-alikes: an answered lookup (no such host), a rule that lets port 53 out, a policy selecting other pods, an ingress-only policy", () => {
    expect(
      egressPolicySignals(input([denyAll], ["dial tcp: lookup nginx-servic on 10.96.0.10:53: no such host"])),
    ).toEqual([]);
    expect(egressPolicySignals(input([denyAll, allowDns]))).toEqual([]);
    const others = policy("deny-batch", {
      podSelector: { matchLabels: { app: "batch" } },
      policyTypes: ["Egress"],
      egress: [],
    });
    expect(egressPolicySignals(input([others]))).toEqual([]);
    const ingressOnly = policy("deny-ingress", { podSelector: {}, policyTypes: ["Ingress"], ingress: [] });
    expect(egressPolicySignals(input([ingressOnly]))).toEqual([]);
    expect(egressPolicySignals(input([]))).toEqual([]);
  });

  it("a rule with no ports lets everything out; a rule on port 443 only does not let DNS out", () => {
    const anyPort = policy("allow-out", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [] }] });
    expect(egressPolicySignals(input([anyPort]))).toEqual([]);
    const httpsOnly = policy("https-only", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ ports: [{ protocol: "TCP", port: 443 }] }],
    });
    expect(egressPolicySignals(input([httpsOnly]))[0]).toMatchObject({ value: "https-only" });
  });
});
