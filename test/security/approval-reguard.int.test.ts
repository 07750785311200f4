import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parsePolicy } from "../../agent/policy/loadPolicy.ts";
import { createAegis, type Aegis } from "../../app/compose.ts";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/logger.ts";
import { isTerminal, type Incident } from "../../core/types.ts";
import { startServer, type RunningServer } from "../../server/listen.ts";
import { storeEnv } from "../helpers/postgresLeg.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { fault, testDocker, useDockerHarness, waitFor } from "../helpers/docker.ts";

/**
 * Attack: an approval resumed the run straight into `act`. A target protected, or the mode turned to advise,
 * while the request waited was acted on anyway. The guard must run again after the approval.
 */
const h = useDockerHarness("reguard");
const TOKEN = "reguard-token";
const dirs: string[] = [];
let running: Array<{ aegis: Aegis; server: RunningServer }> = [];

afterEach(async () => {
  for (const r of running) {
    await r.server.close();
    await r.aegis.close();
  }
  running = [];
});
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The store behind each database path: on the PostgreSQL leg of the matrix, one database kept across restarts. */
const stores = new Map<string, Record<string, string>>();

async function start(db: string, env: Record<string, string>, policyYaml: string) {
  if (!stores.has(db)) stores.set(db, await storeEnv());
  const config = loadConfig({ AEGIS_DB: db, AEGIS_API_TOKEN: TOKEN, ...stores.get(db), ...env });
  const aegis = await createAegis(config, {
    logger: silentLogger(),
    verifyIntervalMs: 100,
    policy: parsePolicy(policyYaml, "test"),
  });
  const server = await startServer(aegis.app, "127.0.0.1", 0);
  await aegis.runner.start();
  running.push({ aegis, server });
  return `http://127.0.0.1:${server.port}`;
}
async function stopAll() {
  for (const r of running) {
    await r.server.close();
    await r.aegis.close();
  }
  running = [];
}

const auth = { authorization: `Bearer ${TOKEN}` };
const incident = async (base: string, id: string) =>
  (await (await fetch(`${base}/api/incidents/${id}`, { headers: auth })).json()) as Incident;
const startedAt = async (name: string) => (await testDocker().getContainer(name).inspect()).State.StartedAt;

/** A broken container, an incident about it waiting for approval, and the database it waits in. */
async function waitingIncident(suffix: string) {
  const dir = mkdtempSync(join(tmpdir(), "aegis-reguard-"));
  dirs.push(dir);
  const db = join(dir, "aegis.db");
  const { name, port } = await h.target(suffix);
  await fault(port, "5xx");
  const base = await start(db, { AEGIS_MODE: "auto" }, "modes:\n  byTier:\n    low: approve\n");
  const res = await postAlerts(base, retargeted({ alertname: "ContainerUnhealthy", container: name }));
  const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
  await waitFor(async () => (await incident(base, id)).status === "awaiting_approval", {
    what: "awaiting approval",
  });
  return { db, name, id, before: await startedAt(name) };
}

async function approve(base: string, id: string): Promise<Incident> {
  const res = await fetch(`${base}/api/incidents/${id}/approve`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ by: "alice" }),
  });
  expect(res.status).toBe(202);
  return waitFor(
    async () => {
      const i = await incident(base, id);
      return isTerminal(i.status) ? i : undefined;
    },
    { what: `incident ${id} to finish`, timeoutMs: 45_000 },
  );
}

describe("an approval goes back through the guard", () => {
  it("a container protected while the request waited is not acted on", async () => {
    const { db, name, id, before } = await waitingIncident("protected");
    await stopAll();
    const base = await start(
      db,
      { AEGIS_MODE: "auto" },
      `modes:\n  byTier:\n    low: approve\nprotectedContainers: [${name}]\n`,
    );
    const done = await approve(base, id);
    expect(done.status).toBe("dismissed");
    expect(done.statusReason).toMatch(/action_blocked_by_policy: container .* is protected/);
    expect(done.actions).toEqual([]);
    expect(await startedAt(name)).toBe(before);
  });

  it("a mode turned to advise while the request waited only advises", async () => {
    const { db, name, id, before } = await waitingIncident("advise");
    await stopAll();
    const base = await start(db, { AEGIS_MODE: "advise" }, "{}\n");
    const done = await approve(base, id);
    expect(done.status).toBe("advised");
    expect(done.actions).toEqual([]);
    expect(await startedAt(name)).toBe(before);
  });

  it("an approval that is still allowed acts, and says the guard checked again", async () => {
    const { db, name, id, before } = await waitingIncident("allowed");
    await stopAll();
    const base = await start(db, { AEGIS_MODE: "auto" }, "modes:\n  byTier:\n    low: approve\n");
    const done = await approve(base, id);
    expect(done.status).toBe("resolved");
    expect(
      done.timeline.some((e) => e.step === "guard" && /approved by alice; still allowed/.test(e.message)),
    ).toBe(true);
    expect(await startedAt(name)).not.toBe(before);
  });
});
