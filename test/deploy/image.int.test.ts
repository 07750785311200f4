import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import {
  fault,
  freePort,
  removeContainer,
  testDocker,
  useDockerHarness,
  waitFor,
} from "../helpers/docker.ts";

const run = promisify(execFile);
const BUILD = fileURLToPath(new URL("../../deploy/docker/build-local.sh", import.meta.url));
const COMPOSE_FILE = fileURLToPath(new URL("../../deploy/compose/compose.yaml", import.meta.url));
const TAG = "aegisops:test";
const TOKEN = "image-test-token";
const h = useDockerHarness("image");
const prefix = h.prefix;

beforeAll(async () => {
  await run("bash", [BUILD, TAG], { maxBuffer: 16 << 20 });
}, 600_000);

/** The AegisOps image as an operator runs it: non-root, read-only root, the Docker socket mounted. */
describe("the AegisOps container image (deploy/docker/build-local.sh)", () => {
  let base: string;
  const api = (path: string) =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json());

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const socketGid = statSync("/var/run/docker.sock").gid;
    await testDocker()
      .createContainer({
        name: `${prefix}-aegis`,
        Image: TAG,
        Env: [
          "AEGIS_HOST=127.0.0.1",
          `AEGIS_PORT=${port}`,
          "AEGIS_MODE=auto",
          "AEGIS_VERIFY_TIMEOUT_MS=20000",
          `AEGIS_API_TOKEN=${TOKEN}`,
        ],
        HostConfig: {
          NetworkMode: "host",
          ReadonlyRootfs: true,
          Tmpfs: { "/tmp": "", "/data": "uid=10001,gid=10001" },
          Binds: ["/var/run/docker.sock:/var/run/docker.sock"],
          GroupAdd: [String(socketGid)],
        },
      })
      .then((c) => c.start());
  }, 600_000);

  // The AegisOps container goes before the Compose project starts its own (the harness removes the rest).
  afterAll(() => removeContainer(`${prefix}-aegis`));

  it("runs as a non-root user and its HEALTHCHECK reports healthy", async () => {
    const info = await testDocker().getContainer(`${prefix}-aegis`).inspect();
    expect(info.Config.User).toBe("10001:10001");
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    const health = await waitFor(
      async () => {
        const s = (await testDocker().getContainer(`${prefix}-aegis`).inspect()).State.Health?.Status;
        return s === "healthy" ? s : undefined;
      },
      { timeoutMs: 60_000, what: "the image's HEALTHCHECK to pass" },
    );
    expect(health).toBe("healthy");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  }, 90_000);

  it("heals a lab container through the mounted Docker socket", async () => {
    const { name, port } = await h.target("web");
    await fault(port, "5xx");

    const res = await postAlerts(base, retargeted({ alertname: "ContainerUnhealthy", container: name }));
    expect(res.status).toBe(202);
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
    const incident = await waitFor(
      async () => {
        const i = (await api(`/api/incidents/${id}`)) as Incident;
        return ["resolved", "failed", "escalated", "advised"].includes(i.status) ? i : undefined;
      },
      { timeoutMs: 60_000, what: "the incident to finish" },
    );
    expect(incident.status).toBe("resolved");
    expect(incident.decision?.action).toBe("restart_container");
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  }, 120_000);
});

/** deploy/compose/compose.yaml as an operator runs it: `up -d`, an incident, `down` and `up` again. */
describe("the Compose file (deploy/compose/compose.yaml)", () => {
  const project = `${prefix}-compose`.replace(/[^a-z0-9_-]/g, "");
  let port: number;
  let env: NodeJS.ProcessEnv;
  const compose = (...args: string[]) =>
    run("docker-compose", ["--project-name", project, "-f", COMPOSE_FILE, ...args], { env });
  const healthy = () =>
    waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      {
        timeoutMs: 60_000,
        what: "AegisOps under Compose to answer /healthz",
      },
    );

  beforeAll(async () => {
    port = await freePort();
    env = {
      ...process.env,
      AEGIS_IMAGE: TAG,
      AEGIS_PORT: String(port),
      AEGIS_API_TOKEN: TOKEN,
      DOCKER_GID: String(statSync("/var/run/docker.sock").gid),
    };
    await compose("up", "-d", "--no-build");
    await healthy();
  }, 120_000);

  afterAll(async () => {
    await compose("down", "-v").catch(() => undefined);
  });

  it("runs the image non-root on a read-only root with the Docker socket, and keeps incidents across down/up", async () => {
    const id = (await compose("ps", "-q", "aegisops")).stdout.trim();
    const info = await testDocker().getContainer(id).inspect();
    expect(info.Config.User).toBe("10001:10001");
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.NetworkMode).toBe("host");

    const res = await postAlerts(
      `http://127.0.0.1:${port}`,
      retargeted({ alertname: "ContainerUnhealthy", container: `${prefix}-absent` }),
    );
    expect(res.status).toBe(202);
    const incident = (res.body.incidents as Array<{ id: string }>)[0]!.id;

    await compose("down");
    await compose("up", "-d", "--no-build");
    await healthy();
    const after = await fetch(`http://127.0.0.1:${port}/api/incidents/${incident}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(after.status).toBe(200);
    expect(((await after.json()) as Incident).id).toBe(incident);
  }, 180_000);
});
