import type { KubeSim } from "@aegisops/kube-sim";
import { expect } from "vitest";
import type { Incident } from "../../../core/types.ts";
import { look, type KubeHarness } from "./harness.ts";

/** The image a Deployment of the demo cluster's `shop` namespace runs now. */
export const imageOf = (sim: KubeSim, name: string) =>
  look(sim).deployment(name).spec?.template.spec?.containers[0]?.image;

/** A person's undos, as the ledger records them beside the incident's actions. */
export const undoRecords = (i: Incident) => i.actions.filter((a) => typeof a.params.undoOf === "string");

/**
 * A person on call rolls a Deployment out again: what `kubectl rollout restart` sends (a merge patch of the pod
 * template's restartedAt annotation), through the simulator's REST API with `token`; then the rollout runs.
 */
export async function restartRollout(sim: KubeSim, name: string, token: string): Promise<void> {
  const res = await fetch(`${sim.url}/apis/apps/v1/namespaces/shop/deployments/${name}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/merge-patch+json" },
    body: JSON.stringify({
      spec: {
        template: {
          metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() } },
        },
      },
    }),
  });
  expect(res.status).toBe(200);
  sim.advance(30_000);
}

/** A bad release on shop/checkout that the agent rolls back and verifies: the incident, and both images. */
export async function rollBackCheckout(h: KubeHarness) {
  const good = imageOf(h.sim(), "checkout");
  h.sim().inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
  h.advance(30_000);
  const bad = imageOf(h.sim(), "checkout");
  const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });
  expect(incident.decision?.action).toBe("rollback_deployment");
  expect(incident.status).toBe("resolved");
  expect(imageOf(h.sim(), "checkout")).toBe(good);
  return { incident, good, bad };
}
