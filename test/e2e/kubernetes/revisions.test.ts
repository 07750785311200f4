import { describe, expect, it } from "vitest";
import { type KubeSim, resourceOf, type Deployment } from "@aegisops/kube-sim";
import { look, signalsOf, useKubeHarness } from "./harness.ts";

// A new revision that cannot run: the rule compares the two revisions' specs, not the alert.
const h = useKubeHarness(undefined, { clusterClock: true });

/** Roll out a new revision of shop/<name> whose pod spec is changed by `edit`. */
function rollOut(sim: KubeSim, name: string, edit: (spec: Deployment["spec"]["template"]["spec"]) => void) {
  const d = look(sim).deployment(name);
  const next = structuredClone(d);
  edit(next.spec.template.spec);
  sim.ctx.store.update(
    resourceOf("Deployment"),
    { ...next, metadata: { ...next.metadata, resourceVersion: undefined } },
    "spec",
  );
}

describe("a bad new revision → rollback when only it introduced the fault", () => {
  it("a release that reads a Secret nobody created → rollback_deployment, verified", async () => {
    const sim = h.sim();
    rollOut(sim, "checkout", (spec) => {
      const c = spec.containers[0]!;
      c.env = [
        ...(c.env ?? []),
        { name: "PAYMENTS_KEY", valueFrom: { secretKeyRef: { name: "payments-api-key", key: "token" } } },
      ];
    });
    h.advance(60_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["missing_secret", "revision_introduced"]));
    expect(incident.evidence?.signals.find((s) => s.name === "revision_introduced")?.detail).toMatch(
      /introduced a reference to secret payments-api-key, which does not exist/,
    );
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("resolved");
    const env = look(sim).deployment("checkout").spec.template.spec.containers[0]!.env ?? [];
    expect(env.some((e) => e.name === "PAYMENTS_KEY")).toBe(false);
  });

  it("look-alike: a Secret both revisions read was deleted → escalated (a rollback would not bring it back)", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/web", variant: "missing_secret" });
    h.advance(60_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toContain("missing_secret");
    expect(signalsOf(incident)).not.toContain("revision_introduced");
    expect(incident.decision?.action).toBe("none");
    expect(incident.status).toBe("escalated");
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).fault(f.id).active).toBe(true);
  });

  it("a release that needs a node label no node has (unschedulable) → rollback_deployment, verified", async () => {
    const sim = h.sim();
    rollOut(sim, "checkout", (spec) => {
      spec.nodeSelector = { ...spec.nodeSelector, "example.com/gpu": "a100" };
    });
    h.advance(60_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.evidence?.signals.find((s) => s.name === "revision_introduced")?.detail).toMatch(
      /cannot be scheduled/,
    );
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("resolved");
  });

  // An init command that returns on its own, but late (an hour-long wait for a schema): only time says it hangs.
  // One that cannot return at all (`sleep infinity`) is rolled back at once (revisionIntroduced.test.ts).
  const WAIT_LOOP = ["sh", "-c", "sleep 3600"];

  it("a release whose new init container never completes, while the old pods serve → rollback_deployment, verified", async () => {
    const sim = h.sim();
    rollOut(sim, "checkout", (spec) => {
      const image = spec.containers[0]!.image;
      spec.initContainers = [{ name: "wait-for-schema", image, command: WAIT_LOOP }];
    });
    h.advance(6 * 60_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.evidence?.signals.find((s) => s.name === "revision_introduced")?.detail).toMatch(
      /init container wait-for-schema has run for \d+ min without completing/,
    );
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("resolved");
    expect(look(sim).deployment("checkout").spec.template.spec.initContainers ?? []).toHaveLength(0);
  });

  it("look-alike: the same init container 90 s in → no rollback while the rollout is under way", async () => {
    const sim = h.sim();
    rollOut(sim, "checkout", (spec) => {
      const image = spec.containers[0]!.image;
      spec.initContainers = [{ name: "wait-for-schema", image, command: WAIT_LOOP }];
    });
    h.advance(90_000);
    const generation = look(sim).deployment("checkout").metadata.generation;
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).not.toContain("revision_introduced");
    expect(incident.decision?.action).toBe("none");
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).deployment("checkout").metadata.generation).toBe(generation);
  });
});
