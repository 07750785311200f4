import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { TEST_API_TOKEN } from "../helpers/aegis.ts";
import { waitFor } from "../helpers/docker.ts";
import { useServeProcesses, type ServeReplica } from "../helpers/useServeProcesses.ts";

/**
 * AEGIS_LEADER_ELECTION=lease: three `aegis serve` processes on one PostgreSQL elect their leader through a
 * `coordination.k8s.io/v1` Lease on the Kubernetes API simulator (read back with the real kubectl), with only
 * the permissions the HA Kustomize overlay grants. Only the
 * leader runs the predictive watcher (each replica reads its own Prometheus path, so the stand-in sees who
 * polls); when the leader is killed with -9, another takes the Lease once it has lapsed, and the watcher moves.
 */
const processes = useServeProcesses({ postgres: true, label: "lease leadership" });

const LEASE_S = 2;
const run = promisify(execFile);
const HA_OVERLAY = fileURLToPath(new URL("../../deploy/kubernetes/overlays/ha-postgres", import.meta.url));
let sim: KubeSim | undefined;
/** kubectl's HOME (its discovery cache) and the admin kubeconfig. */
let kubeDir: string | undefined;
let prometheus: Server | undefined;
/** Prometheus `query_range` calls per replica (the first path segment of its PROMETHEUS_URL). */
const queries = new Map<string, number>();

beforeAll(async () => {
  if (processes.noPostgres) return;
  // The namespace AegisOps is installed in (the Kustomize base's): the Lease lives there. The simulator enforces
  // the HA overlay's RBAC, so AegisOps (with its ServiceAccount's token) can do only what the install grants.
  const rendered = await run("kubectl", ["kustomize", HA_OVERLAY]);
  sim = await startKubeSim({
    fixture: "apiVersion: v1\nkind: Namespace\nmetadata: { name: aegisops }\n",
    rbac: rendered.stdout,
  });
  kubeDir = mkdtempSync(join(tmpdir(), "aegis-lease-kubectl-"));
  writeFileSync(join(kubeDir, "kubeconfig"), sim.kubeconfig());
  // Answers query_range as Prometheus does for a series with no samples yet, and counts who asked.
  prometheus = createServer((req, res) => {
    const replica = (req.url ?? "").split("/")[1] ?? "";
    if (req.url?.includes("/api/v1/query_range")) queries.set(replica, (queries.get(replica) ?? 0) + 1);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } }));
  });
  await new Promise<void>((r) => prometheus!.listen(0, "127.0.0.1", r));
}, 90_000);

afterAll(async () => {
  prometheus?.close();
  if (kubeDir) rmSync(kubeDir, { recursive: true, force: true });
  await sim?.stop();
});

interface Health {
  role?: string;
  election?: string;
  replica?: string;
}

const health = async (r: ServeReplica): Promise<Health> =>
  (await (await fetch(`${r.url}/healthz`)).json()) as Health;

interface LeaseJson {
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    leaseTransitions?: number;
    acquireTime?: string;
    renewTime?: string;
  };
}

/** The real kubectl as the cluster admin. */
async function kubectl(args: string[]): Promise<string> {
  const { stdout } = await run(
    "kubectl",
    ["--kubeconfig", join(kubeDir!, "kubeconfig"), "--cache-dir", join(kubeDir!, "cache"), ...args],
    { env: { PATH: process.env.PATH, HOME: kubeDir } },
  );
  return stdout;
}

async function readLease(): Promise<LeaseJson> {
  return JSON.parse(
    await kubectl(["-n", "aegisops", "get", "lease", "aegisops-leader", "-o", "json"]),
  ) as LeaseJson;
}

describe.skipIf(processes.noPostgres !== null)("leader election through a Kubernetes Lease", () => {
  // Three replicas (six Node processes) take 20 s and more to start on a loaded 2-core machine: that is set-up,
  // timed by the hook's budget, so the test's own timeout measures the election alone.
  let replicas: ServeReplica[] = [];
  beforeAll(async () => {
    const databaseUrl = await processes.postgres().newDatabase();
    const dir = processes.tempDir("aegis-lease");
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, sim!.kubeconfig({ token: sim!.tokenFor("aegisops", "aegisops") }));
    const policy = join(dir, "policy.yaml");
    writeFileSync(
      policy,
      [
        "predictive:",
        "  intervalSeconds: 1",
        "  series:",
        "    - name: memory",
        "      kind: exhaustion",
        '      query: process_resident_memory_bytes{job="checkout"}',
        "      limit: 1000000000",
        "      unit: bytes",
        "      family: memory_leak",
        "      labels: { namespace: shop, deployment: checkout }",
        "",
      ].join("\n"),
    );
    const promPort = (prometheus!.address() as AddressInfo).port;

    const start = (name: string) =>
      processes.replica(name, {
        AEGIS_DATABASE_URL: databaseUrl,
        AEGIS_API_TOKEN: TEST_API_TOKEN,
        AEGIS_POLICY: policy,
        KUBECONFIG: kubeconfig,
        AEGIS_LEADER_ELECTION: "lease",
        // As the Deployment's downward API sets it: the Lease goes to AegisOps' own namespace.
        AEGIS_POD_NAMESPACE: "aegisops",
        AEGIS_LEASE_DURATION_S: String(LEASE_S),
        PROMETHEUS_URL: `http://127.0.0.1:${promPort}/${name}/`,
      });
    replicas = await Promise.all(["r0", "r1", "r2"].map(start));
  }, 120_000);

  it("elects one leader among three replicas, runs the watcher only there, and moves both when the leader dies", async () => {
    const leaders = async (among: ServeReplica[]) => {
      const hs = await Promise.all(among.map(health));
      for (const h of hs) expect(h.election).toBe("lease");
      return among.filter((_, i) => hs[i]!.role === "leader");
    };
    const [first] = await waitFor(
      async () => {
        const l = await leaders(replicas);
        return l.length === 1 ? l : undefined;
      },
      { what: "one replica to lead", timeoutMs: 20_000 },
    );
    // The Lease, as kubectl shows it, names that replica.
    expect((await readLease()).spec).toMatchObject({
      holderIdentity: first!.name,
      leaseDurationSeconds: LEASE_S,
    });
    const table = await kubectl(["-n", "aegisops", "get", "lease"]);
    expect(table).toMatch(new RegExp(`aegisops-leader\\s+${first!.name}\\s`));

    // Over two lease durations of renewals (read on the Lease, not slept through): still the same holder with no
    // transition, exactly one leader, and only it polled Prometheus.
    queries.clear();
    const since = (await readLease()).spec;
    const later = await waitFor(
      async () => {
        const now = (await readLease()).spec;
        const moved =
          now.holderIdentity !== since.holderIdentity || now.leaseTransitions !== since.leaseTransitions;
        const spanned = Date.parse(now.renewTime!) - Date.parse(since.renewTime!) >= 2 * LEASE_S * 1000;
        return moved || spanned ? now : undefined;
      },
      { what: "the leader to renew its Lease for two durations", timeoutMs: 20_000 },
    );
    expect(later.holderIdentity).toBe(first!.name);
    expect(later.leaseTransitions).toBe(since.leaseTransitions);
    expect((await leaders(replicas)).map((r) => r.name)).toEqual([first!.name]);
    await waitFor(() => (queries.get(first!.name) ?? 0) >= 2, { what: "the leader's watcher to poll" });
    const others = replicas.filter((r) => r !== first);
    for (const r of others) expect(queries.get(r.name) ?? 0).toBe(0);

    // Kill the leader's whole replica (front and agent process, as when its pod dies): one survivor takes the
    // Lease, and not before it lapsed.
    await first!.proc.killReplica();
    // Read at once (well within the lease): the dead leader's last renewal.
    const held = await readLease();
    expect(held.spec.holderIdentity).toBe(first!.name);
    const [second] = await waitFor(
      async () => {
        const l = await leaders(others);
        return l.length === 1 ? l : undefined;
      },
      { what: "a survivor to take the Lease", timeoutMs: 20_000 },
    );
    const taken = await readLease();
    expect(taken.spec.holderIdentity).toBe(second!.name);
    expect(taken.spec.leaseTransitions).toBe((held.spec.leaseTransitions ?? 0) + 1);
    // Taken over only after a whole lease duration without a renewal (both times come from this machine).
    expect(Date.parse(taken.spec.acquireTime!) - Date.parse(held.spec.renewTime!)).toBeGreaterThanOrEqual(
      LEASE_S * 1000,
    );

    // The watcher moved with the leadership.
    queries.clear();
    await waitFor(() => (queries.get(second!.name) ?? 0) >= 2, { what: "the new leader's watcher to poll" });
    const rest = others.filter((r) => r !== second);
    for (const r of rest) expect(queries.get(r.name) ?? 0).toBe(0);
    expect((await leaders(others)).map((r) => r.name)).toEqual([second!.name]);
  });
});
