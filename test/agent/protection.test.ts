import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../agent/policy/loadPolicy.ts";
import { protectedServiceReason } from "../../agent/policy/protection.ts";
import type { Target } from "../../core/types.ts";
import { incidentAlert as alert } from "../helpers/alerts.ts";

const policy = parsePolicy(
  [
    "services:",
    "  checkout:",
    "    protected: true",
    "    target: { namespace: shop, deployment: checkout }",
    "  billing:",
    "    protected: true",
    "    target: { container: billing-api }",
    "  web:",
    "    target: { namespace: shop, deployment: web }",
  ].join("\n"),
  "policy.yaml",
);
const deployment = (name: string, namespace = "shop"): Target => ({
  kind: "k8s_workload",
  key: `k8s::${namespace}/deployment/${name}`,
  namespace,
  workload: "deployment",
  name,
});

describe("protected services", () => {
  it("protect the workload they map to, whatever labels the alert carries", () => {
    expect(protectedServiceReason(policy, deployment("checkout"), [alert({ deployment: "checkout" })])).toBe(
      "service checkout is protected by policy",
    );
    const billing: Target = {
      kind: "docker_container",
      key: "docker:container/billing-api",
      name: "billing-api",
    };
    expect(protectedServiceReason(policy, billing, [alert({ container: "billing-api" })])).toMatch(/billing/);
  });

  it("protect any target of an alert that names them", () => {
    expect(protectedServiceReason(policy, deployment("web"), [alert({ service: "checkout" })])).toMatch(
      /checkout/,
    );
  });

  it("leave other services alone", () => {
    expect(protectedServiceReason(policy, deployment("web"), [alert({ service: "web" })])).toBeUndefined();
    expect(protectedServiceReason(policy, deployment("checkout", "staging"), [alert({})])).toBeUndefined();
  });
});
