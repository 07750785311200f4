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
  removeContainersNamed,
  runTarget,
  testDocker,
  uniqueName,
  waitFor,
} from "../helpers/docker.ts";

const run = promisify(execFile);
const BUILD = fileURLToPath(new URL("../../deploy/docker/build-local.sh", import.meta.url));
const TAG = "aegisops:test";
const TOKEN = "image-test-token";
const prefix = uniqueName("image");

/** The AegisOps image as an operator runs it: non-root, read-only root, the Docker socket mounted. */
describe("the AegisOps container image (deploy/docker/build-local.sh)", () => {
  let base: string;
  const api = (path: string) =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json());

  beforeAll(async () => {
    await run("bash", [BUILD, TAG], { maxBuffer: 16 << 20 });
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

  afterAll(async () => {
    await removeContainersNamed(prefix);
  });

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
    const name = `${prefix}-web`;
    const port = await freePort();
    await runTarget({ name, port });
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), { what: "target up" });
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
