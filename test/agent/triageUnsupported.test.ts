import { describe, expect, it } from "vitest";
import { makeTriage } from "../../agent/nodes/triage.ts";
import type { Located, Platform } from "../../agent/platforms/platform.ts";
import type { Target } from "../../core/types.ts";
import { freshState, useAgentDeps } from "./agentHarness.ts";
import { k8sWorkload } from "../helpers/targets.ts";

const daemonset: Target = k8sWorkload("example", { namespace: "default", workload: "daemonset" });

/** A platform whose locate answers as the Kubernetes one does for a DaemonSet (or an object that is not there). */
const platformLocating = (located: Located): Platform =>
  ({ kinds: ["k8s_workload"], locate: async () => located }) as unknown as Platform;

async function triageWith(fx: ReturnType<typeof useAgentDeps>, located: Located) {
  fx.deps.platforms = [platformLocating(located)];
  const [opened] = await fx.deps.incidents.ingest(
    [
      {
        alert: {
          status: "firing",
          labels: { alertname: "KubeDaemonSetRolloutStuck", namespace: "default", daemonset: "example" },
          annotations: {},
          startsAt: new Date().toISOString(),
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "",
          fingerprint: "fp-ds",
        },
        target: daemonset,
      },
    ],
    new Date().toISOString(),
  );
  const out = await makeTriage(fx.deps)(freshState(opened!.incidentId, daemonset));
  return { out, incident: await fx.deps.incidents.get(opened!.incidentId) };
}

describe("triage of an object no catalog action acts on", () => {
  const fx = useAgentDeps("triage-unsupported");

  it("a DaemonSet that exists: escalated, with a decision naming it and its rollout in plain words", async () => {
    const { out, incident } = await triageWith(fx, {
      ok: false,
      code: "target_unsupported",
      object: "default/daemonset/example",
      reason:
        "daemonset default/example exists (3 desired, 2 Ready, 1 on the newest template), but no catalog action acts on a daemonset",
    });
    expect(out.outcome).toMatchObject({
      status: "escalated",
      reason: expect.stringMatching(/^target_unsupported: /),
    });
    expect(incident?.decision).toMatchObject({
      action: "none",
      target: "default/daemonset/example",
      disposition: "escalate",
      rationale: expect.stringMatching(/^Daemonset default\/example exists \(3 desired, 2 Ready/),
    });
  });

  it("look-alike: an object that is not there is escalated as not found, with no decision made up", async () => {
    const { out, incident } = await triageWith(fx, {
      ok: false,
      reason: "k8s::default/daemonset/example not found in the cluster",
    });
    expect(out.outcome).toMatchObject({
      status: "escalated",
      reason: expect.stringMatching(/^target_not_found: /),
    });
    expect(incident?.decision ?? null).toBeNull();
  });
});
