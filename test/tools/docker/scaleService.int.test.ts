import { describe, expect, it } from "vitest";
import { inspectSnapshot } from "../../../tools/docker/inspectContainer.ts";
import { createScaleServiceTool, listReplicas } from "../../../tools/docker/scaleService.ts";
import { probeHealth } from "../../../tools/http/healthProbe.ts";
import { answersHealth, freePort, runTarget, useDockerHarness, waitFor } from "../../helpers/docker.ts";

const h = useDockerHarness("scale");
const prefix = h.prefix;
const docker = h.docker;
const scale = createScaleServiceTool({ docker });

async function allAnswer(urls: Array<string | null>): Promise<boolean> {
  const results = await Promise.all(urls.map((u) => (u ? probeHealth(u, 1000) : null)));
  return results.every((r) => r?.ok === true);
}

describe.concurrent("scale_service", () => {
  it("scales a container to 3 replicas that each answer on their own port, then back to 1", async () => {
    const { name, port } = await h.target("web", {
      memoryMb: 256,
      healthcheck: true,
      restartPolicy: { Name: "unless-stopped" },
    });

    const up = await scale.execute({ container: name, replicas: 3 });
    expect(up.previousReplicas).toBe(1);
    expect(up.created).toEqual([`${name}-r2`, `${name}-r3`]);
    expect(up.removed).toEqual([]);
    expect(up.replicas.map((r) => r.name)).toEqual([name, `${name}-r2`, `${name}-r3`]);
    const ports = up.replicas.map((r) => r.port);
    expect(ports[0]).toBe(port);
    expect(new Set(ports).size).toBe(3);
    expect(up.replicas.map((r) => r.healthUrl)).toEqual(ports.map((p) => `http://127.0.0.1:${p}/health`));
    await waitFor(() => allAnswer(up.replicas.map((r) => r.healthUrl)), { what: "every replica to answer" });

    // A clone copies limits, restart policy and the health check, which now probes the clone's own port.
    const clone = await waitFor(
      async () => {
        // PORT is evidence here by allowlist, as a policy naming it would make it.
        const s = await inspectSnapshot(docker, `${name}-r3`, ["PORT"]);
        return s.health?.status === "healthy" ? s : null;
      },
      { what: "the clone's own health check to pass" },
    );
    expect(clone).toMatchObject({
      memoryLimitBytes: 256 * 1024 * 1024,
      networkMode: "host",
      restartPolicy: "unless-stopped",
    });
    expect(clone.labels).toMatchObject({
      "aegis.replica-of": name,
      "aegis.test": "1",
      "aegis.port-env": "PORT",
    });
    expect(clone.env.PORT).toBe(String(ports[2]));

    // Naming a clone means its whole set; scaling to the current size changes nothing.
    const same = await scale.execute({ container: `${name}-r2`, replicas: 3 });
    expect(same).toMatchObject({ previousReplicas: 3, created: [], removed: [] });

    const down = await scale.execute({ container: name, replicas: 1 });
    expect(down.previousReplicas).toBe(3);
    expect(down.removed).toEqual([`${name}-r3`, `${name}-r2`]);
    expect(down.replicas.map((r) => r.name)).toEqual([name]);
    expect((await listReplicas(docker, name)).members).toHaveLength(1);
    await expect(inspectSnapshot(docker, `${name}-r2`)).rejects.toMatchObject({ code: "target_not_found" });
    expect(await answersHealth(port)).toBe(true);
  });

  it("scales a compose service, cloning its first container", async () => {
    const service = `${prefix}-svc`;
    const name = `${prefix}-proj-api-1`;
    const port = await freePort();
    await runTarget({
      name,
      port,
      labels: {
        "com.docker.compose.project": `${prefix}-proj`,
        "com.docker.compose.service": service,
        "com.docker.compose.container-number": "1",
      },
    });
    await waitFor(() => answersHealth(port), { what: "the app to answer" });
    const up = await scale.execute({ composeService: service, replicas: 2 });
    expect(up.created).toEqual([`${name}-r2`]);
    expect((await listReplicas(docker, { composeService: service })).members.map((m) => m.name)).toEqual([
      name,
      `${name}-r2`,
    ]);
    await waitFor(() => allAnswer(up.replicas.map((r) => r.healthUrl)), { what: "both replicas to answer" });
    const down = await scale.execute({ composeService: service, replicas: 1 });
    expect(down.removed).toEqual([`${name}-r2`]);
  });

  it("counts a compose service's members as `docker compose ps` does: one project, no one-off run containers", async () => {
    const service = `${prefix}-members`;
    const compose = (project: string, number: string, oneoff = "False") => ({
      "com.docker.compose.project": project,
      "com.docker.compose.service": service,
      "com.docker.compose.container-number": number,
      "com.docker.compose.oneoff": oneoff,
    });
    await runTarget({
      name: `${prefix}-a-member-1`,
      port: await freePort(),
      labels: compose(`${prefix}-a`, "1"),
    });
    await runTarget({
      name: `${prefix}-a-member-run-1`,
      port: await freePort(),
      labels: compose(`${prefix}-a`, "1", "True"),
    });
    await runTarget({
      name: `${prefix}-b-member-1`,
      port: await freePort(),
      labels: compose(`${prefix}-b`, "1"),
    });
    // The same service name in two projects is ambiguous until the project is named.
    await expect(listReplicas(docker, { composeService: service })).rejects.toMatchObject({
      code: "target_ambiguous",
    });
    const a = await listReplicas(docker, { composeService: service, project: `${prefix}-a` });
    expect(a.members.map((m) => m.name)).toEqual([`${prefix}-a-member-1`]);
    await expect(
      listReplicas(docker, { composeService: service, project: `${prefix}-nope` }),
    ).rejects.toMatchObject({ code: "target_not_found" });
  });

  it("refuses to clone a container without the aegis.port-env label, creating nothing", async () => {
    const name = `${prefix}-nolabel`;
    await runTarget({ name, port: await freePort(), portEnvLabel: false });
    const err = await scale.execute({ container: name, replicas: 2 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "action_failed" });
    expect((err as Error).message).toContain("aegis.port-env");
    expect((await listReplicas(docker, name)).members).toHaveLength(1);
  });

  it("rejects input that names both or neither of container and composeService", async () => {
    await expect(scale.execute({ replicas: 2 })).rejects.toThrow(/exactly one/);
    await expect(scale.execute({ container: "a", composeService: "b", replicas: 2 })).rejects.toThrow(
      /exactly one/,
    );
    await expect(scale.execute({ container: "a", replicas: 11 })).rejects.toThrow();
  });

  it("throws target_not_found for an unknown container or service", async () => {
    await expect(scale.execute({ container: `${prefix}-missing`, replicas: 2 })).rejects.toMatchObject({
      code: "target_not_found",
    });
    await expect(scale.execute({ composeService: `${prefix}-nosvc`, replicas: 2 })).rejects.toMatchObject({
      code: "target_not_found",
    });
  });
});
