import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { policySchema } from "../../../agent/policy/schema.ts";
import type { Incident } from "../../../core/types.ts";
import { startKubeSim, type KubeSim, resourceOf, type Deployment } from "@aegisops/kube-sim";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { mergePatch } from "../../../tools/kubernetes/kubeErrors.ts";
import { postAlerts, retargeted } from "../../helpers/alerts.ts";
import { apiHeaders, startTestAegis, waitForFinished, type TestAegis } from "../../helpers/aegis.ts";
import { ALERT } from "./harness.ts";

const RBAC = readFileSync(new URL("../../../deploy/kubernetes/base/rbac.yaml", import.meta.url), "utf8");

// Two simulators are two regions; one kubeconfig holds both contexts, with the shipped ServiceAccount's token.
let east: KubeSim;
let west: KubeSim;
let aegis: TestAegis;
let dir: string;

const admin = (sim: KubeSim) => createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
const weights = () =>
  (
    west.ctx.store.get(resourceOf("ConfigMap"), "shop", "traffic-weights") as unknown as {
      data: Record<string, string>;
    }
  ).data;
const standby = () => west.ctx.store.get(resourceOf("Deployment"), "shop", "web") as Deployment;

async function alertAndWait(labels: Record<string, string>): Promise<Incident> {
  const res = await postAlerts(aegis.baseUrl, retargeted({ alertname: ALERT, ...labels }));
  const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
  const ticker = setInterval(() => {
    east.advance(500);
    west.advance(500);
  }, 25);
  try {
    return await waitForFinished(aegis.baseUrl, id, 30_000);
  } finally {
    clearInterval(ticker);
  }
}

beforeAll(async () => {
  const start = (name: string) => startKubeSim({ clock: "virtual", name, rbac: RBAC, tls: false });
  [east, west] = await Promise.all([start("us-east"), start("eu-west")]);
  east.advance(5000);
  west.advance(5000);
  // The standby region runs web cold (0 replicas); the global load balancer's weights live in a ConfigMap there.
  const w = admin(west);
  await w.apps.patchNamespacedDeploymentScale(
    { name: "web", namespace: "shop", body: { spec: { replicas: 0 } } },
    mergePatch,
  );
  await w.core.createNamespacedConfigMap({
    namespace: "shop",
    body: { metadata: { name: "traffic-weights" }, data: { "us-east": "100", "eu-west": "0" } },
  });
  west.advance(5000);
  dir = mkdtempSync(join(tmpdir(), "aegis-regions-"));
  const [a, b] = [east, west].map(
    (s) => parse(s.kubeconfig({ token: s.tokenFor("aegisops", "aegisops") })) as Record<string, unknown[]>,
  );
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    stringify({
      ...a,
      clusters: [...a!.clusters!, ...b!.clusters!],
      users: [...a!.users!, ...b!.users!],
      contexts: [...a!.contexts!, ...b!.contexts!],
    }),
  );
  const policy = policySchema.parse({
    modes: { byTier: { high: "auto" } },
    verification: { retries: 0 },
    clusters: { "us-east": { context: "us-east" }, "eu-west": { context: "eu-west" } },
    services: {
      web: {
        target: { namespace: "shop", deployment: "web" },
        failover: {
          standby: { cluster: "eu-west", replicas: 3 },
          weights: { namespace: "shop", configMap: "traffic-weights" },
        },
      },
    },
  });
  aegis = await startTestAegis(
    { AEGIS_MODE: "auto", KUBECONFIG: kubeconfig, AEGIS_VERIFY_TIMEOUT_MS: "20000" },
    { policy },
  );
});
afterAll(async () => {
  await aegis?.stop();
  await Promise.all([east?.stop(), west?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const signalsOf = (i: Incident) => i.evidence?.signals.map((s) => s.name) ?? [];

describe("failover_region across two simulators", () => {
  it("look-alike: one NotReady node in the region → no region failover, weights unchanged", async () => {
    east.inject({ family: "node_not_ready", target: "sim-node-1" });
    east.advance(60_000);
    const incident = await alertAndWait({ namespace: "shop", deployment: "web", region: "us-east" });

    expect(signalsOf(incident)).not.toContain("region_down");
    expect(incident.decision?.action).not.toBe("failover_region");
    expect(weights()).toEqual({ "us-east": "100", "eu-west": "0" });
    expect(standby().spec.replicas).toBe(0);
  });

  it("every node of us-east NotReady → failover_region: eu-west scaled up, available, then weights shifted; verified", async () => {
    for (const n of ["sim-node-2", "sim-node-3"]) east.inject({ family: "node_not_ready", target: n });
    east.advance(60_000);
    const incident = await alertAndWait({ namespace: "shop", deployment: "web", region: "us-east" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["region_down", "standby_region_healthy"]));
    expect(incident.decision?.action).toBe("failover_region");
    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({
      fromRegion: "us-east",
      toRegion: "eu-west",
      previousReplicas: 0,
      replicas: 3,
      previousWeights: { "us-east": "100", "eu-west": "0" },
    });
    expect(weights()).toEqual({ "us-east": "0", "eu-west": "100" });
    expect(standby().spec.replicas).toBe(3);
    expect(standby().status?.availableReplicas).toBe(3);

    // us-east came back and someone split the traffic by hand: a person's undo is held, the weights stay.
    await admin(west).core.patchNamespacedConfigMap(
      { name: "traffic-weights", namespace: "shop", body: { data: { "us-east": "50", "eu-west": "50" } } },
      mergePatch,
    );
    const res = await fetch(`${aegis.baseUrl}/api/incidents/${incident.id}/undo`, {
      method: "POST",
      headers: { ...apiHeaders(aegis.baseUrl), "content-type": "application/json" },
      body: JSON.stringify({ by: "alice" }),
    });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: string; message: string; confirmable: boolean };
    expect(body).toMatchObject({ error: "changed_since", confirmable: true });
    expect(body.message).toContain(
      'the traffic weights in ConfigMap shop/traffic-weights are now {"us-east":"50","eu-west":"50"}, not ' +
        '{"us-east":"0","eu-west":"100"} as failover_region left them: they were changed since, and the undo ' +
        'would overwrite that with {"us-east":"100","eu-west":"0"}',
    );
    expect(weights()).toEqual({ "us-east": "50", "eu-west": "50" });
  });
});
