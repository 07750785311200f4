import { describe, expect, it } from "vitest";
import { actionObjectKey, withActionObject } from "../../../agent/planners/actionObject.ts";
import type { Decision, Evidence, Target } from "../../../core/types.ts";
import { decisionFor } from "../../helpers/decisions.ts";
import { k8sWorkload } from "../../helpers/targets.ts";

const pod: Target = k8sWorkload("checkout-7d9f-abcde", { workload: "pod" });
const evidence: Evidence = {
  collectedAt: "",
  signals: [],
  observations: { k8s_rollout_history: { name: "checkout" } },
  errors: [],
};
const decision = (action: Decision["action"]): Decision =>
  decisionFor(action, {}, { target: "shop/pod/checkout-7d9f-abcde" });

describe("the object a decision's action acts on", () => {
  it("a rollback (or scale) for an alert about a pod names the owning Deployment", () => {
    expect(withActionObject(decision("rollback_deployment"), pod, evidence).target).toBe(
      "shop/deployment/checkout",
    );
    expect(withActionObject(decision("scale_deployment"), pod, evidence).target).toBe(
      "shop/deployment/checkout",
    );
  });
  it("look-alike: a pod restart keeps naming the pod; an unknown owner is not invented", () => {
    expect(withActionObject(decision("restart_pod"), pod, evidence).target).toBe(
      "shop/pod/checkout-7d9f-abcde",
    );
    expect(
      withActionObject(decision("rollback_deployment"), pod, { ...evidence, observations: {} }).target,
    ).toBe("shop/pod/checkout-7d9f-abcde");
  });
});

describe("the ledger key of the object acted on (caps and a person's undo compare it)", () => {
  it("an action on a pod's owner is recorded against the Deployment's key, as an alert on the Deployment would be", () => {
    const owned = withActionObject(decision("rollback_deployment"), pod, evidence);
    expect(actionObjectKey(owned, pod, pod.key)).toBe("k8s::shop/deployment/checkout");
    expect(actionObjectKey(owned, { ...pod, cluster: "eu-west" }, pod.key)).toBe(
      "k8s:eu-west:shop/deployment/checkout",
    );
  });
  it("look-alike: a pod restart, or an owner that was not found, stays on the pod's own identity", () => {
    expect(actionObjectKey(decision("restart_pod"), pod, pod.key)).toBe(pod.key);
    const unknownOwner = withActionObject(decision("rollback_deployment"), pod, {
      ...evidence,
      observations: {},
    });
    expect(actionObjectKey(unknownOwner, pod, pod.key)).toBe(pod.key);
  });
});
