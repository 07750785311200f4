import { CoordinationV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../core/logger.ts";
import { startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { LeaseLeadership } from "../../store/kubernetes/leaseLeadership.ts";
import { waitFor } from "../helpers/docker.ts";

/** The Lease election's edges, against the simulator's coordination.k8s.io API (real HTTP, real resourceVersions). */
const sims: KubeSim[] = [];
const running: LeaseLeadership[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
  for (const s of sims.splice(0)) await s.stop();
});

async function sim(): Promise<KubeSim> {
  const s = await startKubeSim({ fixture: "apiVersion: v1\nkind: Namespace\nmetadata: { name: ops }\n" });
  sims.push(s);
  return s;
}

function candidate(s: KubeSim, identity: string, durationSeconds = 2) {
  const kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
  const changes: boolean[] = [];
  const l = new LeaseLeadership({
    api: kc.makeApiClient(CoordinationV1Api),
    namespace: "ops",
    name: "aegisops-leader",
    identity,
    durationSeconds,
    logger: silentLogger(),
  });
  running.push(l);
  return { l, changes, start: () => l.start((leader) => changes.push(leader)) };
}

describe("leader election by Lease", () => {
  it("two candidates starting together: exactly one leads (the other's write got 409)", async () => {
    const s = await sim();
    const a = candidate(s, "a");
    const b = candidate(s, "b");
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => a.l.isLeader() !== b.l.isLeader(), { what: "one leader" });
    // Several renew periods later: still one, the same one.
    const leader = a.l.isLeader() ? "a" : "b";
    await new Promise((r) => setTimeout(r, 2500));
    expect([a.l.isLeader(), b.l.isLeader()].filter(Boolean)).toHaveLength(1);
    expect(a.l.isLeader() ? "a" : "b").toBe(leader);
  });

  it("a leader that stops releases the Lease: a follower takes it well before the lease would lapse", async () => {
    const s = await sim();
    const a = candidate(s, "a", 9);
    await a.start();
    expect(a.l.isLeader()).toBe(true);
    const b = candidate(s, "b", 9);
    await b.start();
    expect(b.l.isLeader()).toBe(false);
    const stoppedAt = Date.now();
    await a.l.stop();
    expect(a.changes).toEqual([true, false]);
    // b tries every 3 s (a third of 9 s): it takes the released Lease at its next try, not after 9 s.
    await waitFor(() => b.l.isLeader(), { what: "b to lead", timeoutMs: 9_000 });
    expect(Date.now() - stoppedAt).toBeLessThan(9_000);
  });

  it("a leader that cannot reach the API server steps down before anyone may take over", async () => {
    const s = await sim();
    const a = candidate(s, "a", 3);
    await a.start();
    expect(a.l.isLeader()).toBe(true);
    const cutAt = Date.now();
    await s.stop();
    sims.splice(sims.indexOf(s), 1);
    await waitFor(() => !a.l.isLeader(), { what: "a to step down", timeoutMs: 10_000 });
    // Two thirds of the lease (2 s) plus at most one renew period: never past the 3 s a follower waits.
    expect(Date.now() - cutAt).toBeLessThan(3_000 + 1_000);
    expect(a.changes).toEqual([true, false]);
  });
});
