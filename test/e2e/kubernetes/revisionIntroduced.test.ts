import { afterEach, describe, expect, it } from "vitest";
import type { V1PodSpec } from "@kubernetes/client-node";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { defaultPolicy } from "../../../agent/policy/loadPolicy.ts";
import { createKubernetesPlatform } from "../../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import type { Incident } from "../../../core/types.ts";
import { DEMO_CLUSTER, startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { alertNow } from "../../helpers/alerts.ts";
import { k8sWorkload } from "../../helpers/targets.ts";
import { clusterManifests, deployment, manifests, service } from "../../helpers/kubeManifests.ts";

// A Deployment `api` whose process calls the address in QUOTE_ADDR (and the Service `quote`); a new revision of it
// rolls out, the cluster runs 90 s more, and api's error-rate alert is investigated and decided.
let sim: KubeSim | undefined;
afterEach(async () => {
  await sim?.stop();
});

const REGISTRY = `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/api:1.0: { memoryMiB: 60, dependsOn: [{ env: QUOTE_ADDR }], binaries: [/app/api] }
  ghcr.io/acme/quote:1.0: { memoryMiB: 60 }
  busybox:1.36: { memoryMiB: 8, binaries: [sh, sleep] }
`;
const RPS = { "kube-sim.aegisops.io/rps": "20" };
const RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } };
const APP = `---\n${manifests(
  clusterManifests(0, ["apps"]),
  deployment(
    "api",
    "apps",
    [
      {
        name: "api",
        image: "ghcr.io/acme/api:1.0",
        command: ["/app/api"],
        env: [
          { name: "QUOTE_ADDR", value: "http://quote:8080" },
          { name: "LOG_LEVEL", value: "info" },
        ],
        resources: RESOURCES,
      },
    ],
    { annotations: RPS },
  ),
  service("api", "apps", { port: 8080 }),
  deployment("quote", "apps", [{ name: "quote", image: "ghcr.io/acme/quote:1.0", resources: RESOURCES }], {
    annotations: RPS,
  }),
  service("quote", "apps", { port: 8080 }),
)}`;
const api = k8sWorkload("api", { namespace: "apps" });
const alert = alertNow("api-errors", {
  alertname: "RequestErrorRate",
  namespace: "apps",
  deployment: "api",
  severity: "critical",
});

/** Rolls out a new revision of api made by `change`, optionally deleting the Service `quote` first; then decides. */
async function release(change: (spec: V1PodSpec) => void, opts: { deleteQuote?: boolean } = {}) {
  sim = await startKubeSim({ clock: "virtual", fixture: DEMO_CLUSTER + APP, registry: REGISTRY });
  sim.advance(60_000);
  const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
  if (opts.deleteQuote) await kube.core.deleteNamespacedService({ name: "quote", namespace: "apps" });
  const d = await kube.apps.readNamespacedDeployment({ name: "api", namespace: "apps" });
  change(d.spec!.template.spec!);
  await kube.apps.replaceNamespacedDeployment({ name: "api", namespace: "apps", body: d });
  for (let t = 0; t < 90_000; t += 1000) sim.advance(1000);
  const platform = createKubernetesPlatform({ kube, policy: defaultPolicy() });
  const evidence = await platform.investigate(api, [alert]);
  const decision = await new HeuristicPlanner().decide({
    incident: {} as Incident,
    target: api,
    evidence,
    recalled: [],
    policy: defaultPolicy(),
  });
  const introduced = evidence.signals.find((s) => s.name === "revision_introduced");
  // What the pods logged (the look-alikes must fail as visibly as the real thing).
  const logged = Object.values((evidence.observations.k8s_pod_logs ?? {}) as Record<string, string[]>).flat();
  return { decision, introduced, logged };
}

const setEnv = (name: string, value: string) => (spec: V1PodSpec) => {
  spec.containers[0]!.env = spec.containers[0]!.env!.map((e) => (e.name === name ? { name, value } : e));
};
const addInit = (command: string[]) => (spec: V1PodSpec) => {
  spec.initContainers = [{ name: "prepare", image: "busybox:1.36", command }];
};

describe("what only a new revision introduced, on the simulator", () => {
  it("QUOTE_ADDR changed to a host that does not exist → rollback; look-alike: LOG_LEVEL changed while quote's Service is gone → no rollback", async () => {
    const bad = await release(setEnv("QUOTE_ADDR", "http://quote-svc:8080"));
    expect(bad.introduced?.detail).toMatch(
      /changed environment variable QUOTE_ADDR .* fail to reach quote-svc/,
    );
    expect(bad.decision.action).toBe("rollback_deployment");
    await sim?.stop();

    const other = await release(setEnv("LOG_LEVEL", "debug"), { deleteQuote: true });
    expect(other.logged.join("\n")).toMatch(/cannot reach quote:8080.*no such host/);
    expect(other.introduced).toBeUndefined();
    expect(other.decision.action).not.toBe("rollback_deployment");
  });

  it("dnsPolicy Default (the node's resolver knows no Service) → rollback; look-alike: the same lookups failing with unchanged DNS settings → no rollback", async () => {
    const dns = await release((spec) => {
      spec.dnsPolicy = "Default";
    });
    expect(dns.introduced?.detail).toMatch(/dnsPolicy ClusterFirst → Default/);
    expect(dns.decision.action).toBe("rollback_deployment");
    await sim?.stop();

    const down = await release(setEnv("LOG_LEVEL", "warn"), { deleteQuote: true });
    expect(down.logged.join("\n")).toMatch(/no such host/);
    expect(down.introduced).toBeUndefined();
    expect(down.decision.action).not.toBe("rollback_deployment");
  });

  it("an init container that sleeps forever, 90 s in → rollback at once; look-alike: one that sleeps 10 min (a long migration) → left to finish", async () => {
    const endless = await release(addInit(["sh", "-c", "sleep infinity"]));
    expect(endless.introduced?.detail).toMatch(/added init container prepare whose command never returns/);
    expect(endless.decision.action).toBe("rollback_deployment");
    await sim?.stop();

    const slow = await release(addInit(["sh", "-c", "sleep 600"]));
    expect(slow.introduced).toBeUndefined();
    expect(slow.decision.action).toBe("none");
  });
});
