import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { containerIdsFrom, selfReason } from "../../agent/policy/selfProtection.ts";
import { policySchema } from "../../agent/policy/schema.ts";
import type { Incident } from "../../core/types.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import {
  ensureTargetImage,
  freePort,
  removeContainer,
  TARGET_IMAGE,
  testDocker,
  uniqueName,
  waitFor,
} from "../helpers/docker.ts";
import { look, startKubeHarness } from "../e2e/kubernetes/harness.ts";

/**
 * Attack: AegisOps restarted its own container and rolled back its own Deployment. It must know who it is
 * (its container id from /proc, its pod and namespace from the downward API) and never act on itself.
 */
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const name = uniqueName("self");
const dirs: string[] = [];
afterAll(async () => {
  await removeContainer(name);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("AegisOps in a Docker container", () => {
  it("finds its own id in /proc, and an alert naming its own container is dismissed, the container untouched", async () => {
    await ensureTargetImage();
    const data = mkdtempSync(join(tmpdir(), "aegis-self-"));
    dirs.push(data);
    const port = await freePort();
    const docker = testDocker();
    // The product itself, from this checkout, inside a container with the engine's socket: as people run it.
    const container = await docker.createContainer({
      name,
      Image: TARGET_IMAGE,
      Entrypoint: [process.execPath, "bin/aegis.js", "serve"],
      WorkingDir: REPO,
      Env: [`AEGIS_PORT=${port}`, "AEGIS_DB=/data/aegis.db", "AEGIS_MODE=auto", "AEGIS_API_PUBLIC=true"],
      User: "0",
      HostConfig: {
        NetworkMode: "host",
        Binds: [`${REPO}:${REPO}:ro`, `${data}:/data`, "/var/run/docker.sock:/var/run/docker.sock"],
      },
    });
    await container.start();
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => fetch(`${base}/healthz`).then((r) => r.ok), {
      what: "aegis in a container",
      timeoutMs: 60_000,
    });
    const before = (await container.inspect()).State.StartedAt;

    const res = await postAlerts(base, retargeted({ alertname: "ContainerUnhealthy", container: name }));
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
    const incident = await waitFor(
      async () => {
        const i = (await (await fetch(`${base}/api/incidents/${id}`)).json()) as Incident;
        return ["dismissed", "escalated", "resolved", "failed", "advised"].includes(i.status) ? i : undefined;
      },
      { what: "the incident to finish", timeoutMs: 45_000 },
    );
    expect(incident.status).toBe("dismissed");
    expect(incident.statusReason).toBe(
      `self_protection: container ${name} is AegisOps itself; it never acts on itself`,
    );
    expect(incident.actions).toEqual([]);
    expect((await container.inspect()).State.StartedAt).toBe(before);
  });
});

describe("AegisOps in a pod (downward API), on the Kubernetes simulator", () => {
  it("a crash-looping bad release of its own Deployment is not rolled back", async () => {
    const h = await startKubeHarness(undefined, {
      env: {
        AEGIS_POD_NAME: "checkout-7c9d8f6b5-x2x4z",
        AEGIS_POD_NAMESPACE: "shop",
        AEGIS_NODE_NAME: "node-1",
      },
    });
    try {
      const sim = h.sim();
      sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
      h.advance(30_000);
      const generation = look(sim).deployment("checkout").metadata.generation;
      const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });
      expect(incident.status).toBe("dismissed");
      expect(incident.statusReason).toMatch(
        /^self_protection: deployment shop\/checkout \(it runs pod checkout-7c9d8f6b5-x2x4z\) is AegisOps itself/,
      );
      expect(incident.actions).toEqual([]);
      expect(look(sim).deployment("checkout").metadata.generation).toBe(generation);
    } finally {
      await h.stop();
    }
  });
});

describe("self identity", () => {
  it("reads container ids from cgroup v1, systemd and cri-containerd scopes, and cgroup v2 mountinfo", () => {
    const id = "231de510e587900150b307665843c6f04f241ff4df17feec0bc9c66b2e29c1af";
    expect(containerIdsFrom(`4:memory:/docker/${id}\n0::/docker/${id}\n`, "")).toEqual([id]);
    expect(containerIdsFrom(`0::/system.slice/docker-${id}.scope\n`, "")).toEqual([id]);
    expect(
      containerIdsFrom(`0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-${id}.scope\n`, ""),
    ).toEqual([id]);
    const mountinfo = `132 112 254:0 /var/lib/docker/containers/${id}/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw\n`;
    expect(containerIdsFrom("0::/\n", mountinfo)).toEqual([id]);
    expect(containerIdsFrom("0::/\n", "25 1 0:22 / /proc rw - proc proc rw\n")).toEqual([]);
  });

  it("its pod, Deployment, StatefulSet, namespace and node are itself; a look-alike Deployment is not", () => {
    const self = {
      containerIds: [],
      pod: { name: "aegisops-5f7d9c8b4-q2w3e", namespace: "ops" },
      node: "n1",
    };
    const wl = (workload: "pod" | "deployment" | "statefulset", n: string, namespace = "ops") =>
      selfReason(self, { kind: "k8s_workload", key: "k", namespace, workload, name: n }, null);
    expect(wl("pod", "aegisops-5f7d9c8b4-q2w3e")).toMatch(/^self_protection: pod/);
    expect(wl("deployment", "aegisops")).toMatch(/^self_protection: deployment ops\/aegisops/);
    expect(wl("deployment", "billing")).toMatch(/^self_protection: namespace ops is AegisOps' own/);
    expect(wl("deployment", "aegisops", "shop")).toBeUndefined();
    expect(selfReason(self, { kind: "k8s_node", key: "k", name: "n1" }, null)).toMatch(/node n1/);
    expect(selfReason(self, { kind: "k8s_node", key: "k", name: "n2" }, null)).toBeUndefined();
  });

  it("the shipped namespace is protected by the built-in policy", () => {
    expect(policySchema.parse({}).protectedNamespaces).toEqual(
      expect.arrayContaining(["kube-system", "aegisops"]),
    );
  });
});
