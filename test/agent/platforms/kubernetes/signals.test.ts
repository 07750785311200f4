import { describe, expect, it } from "vitest";
import { heuristicDecision } from "../../../helpers/decisions.ts";
import {
  clusterNow,
  consumerGroupSignals,
  databaseSignals,
  nodeSignals,
  workloadSignals,
  type WorkloadObservations,
} from "../../../../agent/platforms/kubernetes/signals.ts";
import type { ContainerSnapshot, PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import type { NodeSnapshot } from "../../../../tools/kubernetes/nodeStatus.ts";
import type { RevisionSnapshot } from "../../../../tools/kubernetes/rolloutHistory.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

// Shapes as the simulator's API returns them through the read tools (see test/e2e/kubernetes for the live path).
const T0 = Date.parse("2026-11-23T10:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function pod(name: string, hash: string, c: Partial<ContainerSnapshot> = {}, ready = true): PodSnapshot {
  return {
    name,
    namespace: "shop",
    uid: `uid-${name}`,
    node: "sim-node-1",
    phase: "Running",
    ready,
    createdAt: at(0),
    deleting: false,
    ownerKind: "ReplicaSet",
    ownerName: `web-${hash}`,
    templateHash: hash,
    containers: [{ name: "app", ready, restartCount: 0, runningSince: at(1), ...c }],
  };
}
function revision(n: number, hash: string, createdMin: number): RevisionSnapshot {
  return {
    name: `web-${hash}`,
    revision: n,
    templateHash: hash,
    replicas: 1,
    readyReplicas: 1,
    createdAt: at(createdMin),
    images: [`ghcr.io/acme/web:1.${n}`],
    template: {},
  };
}
function obs(
  pods: PodSnapshot[],
  revisions: RevisionSnapshot[],
  logs: Record<string, string[]> = {},
): WorkloadObservations {
  return {
    pods,
    logs,
    events: [],
    rollout: {
      name: "web",
      namespace: "shop",
      uid: "d",
      replicas: pods.length,
      readyReplicas: 0,
      availableReplicas: 0,
      updatedReplicas: 0,
      generation: 2,
      observedGeneration: 2,
      revision: revisions[0]?.revision ?? 1,
      selector: "app=web",
      conditions: [],
      revisions,
    },
  };
}
const names = (o: WorkloadObservations) =>
  workloadSignals(o)
    .map((s) => s.name)
    .sort();
const crash: Partial<ContainerSnapshot> = {
  ready: false,
  restartCount: 4,
  waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" },
  lastTerminated: { reason: "Error", exitCode: 2, finishedAt: at(5) },
};
const oom: Partial<ContainerSnapshot> = {
  restartCount: 2,
  lastTerminated: { reason: "OOMKilled", exitCode: 137, finishedAt: at(60 * 24 + 5) },
};

describe("Kubernetes workload signals", () => {
  it("crash loop on the newest revision while the previous one still serves → crash_loop + recent_rollout", () => {
    const o = obs(
      [pod("web-b-1", "b", crash, false), pod("web-a-1", "a"), pod("web-a-2", "a")],
      [revision(2, "b", 4), revision(1, "a", 0)],
      {
        "web-b-1": ["panic: runtime error: invalid memory address or nil pointer dereference"],
      },
    );
    expect(names(o)).toEqual(["crash_loop", "recent_rollout"]);
  });

  it("the new revision's pod exited with an error and never became Ready, before any back-off → crash_loop + recent_rollout", () => {
    const exited: Partial<ContainerSnapshot> = {
      restartCount: 1,
      lastTerminated: { reason: "Error", exitCode: 1, finishedAt: at(4) },
    };
    const o = obs(
      [pod("web-b-1", "b", exited, false), pod("web-a-1", "a"), pod("web-a-2", "a")],
      [revision(2, "b", 4), revision(1, "a", 0)],
    );
    expect(names(o)).toEqual(["crash_loop", "recent_rollout"]);
    // The same single restart of a Ready pod with no newer revision is not a crash loop.
    const once = obs([pod("web-a-1", "a", exited), pod("web-a-2", "a")], [revision(1, "a", 0)]);
    expect(names(once)).not.toContain("crash_loop");
  });

  it("a config error that came with the new revision is still a rollout problem, not a missing Secret", () => {
    const o = obs(
      [pod("web-b-1", "b", crash, false), pod("web-a-1", "a")],
      [revision(2, "b", 4), revision(1, "a", 0)],
      {
        "web-b-1": ['FATAL config: feature flag "x" requires PAYMENTS_URL, which is not set'],
      },
    );
    expect(names(o)).toEqual(["config_error", "crash_loop", "recent_rollout"]);
  });

  it("a deleted Secret: missing_secret from the crashed run's log, and no new revision to blame", () => {
    const o = obs([pod("web-a-1", "a", crash, false)], [revision(1, "a", 0)], {
      "web-a-1": ['FATAL: secret "web-db" not found'],
    });
    expect(names(o)).toEqual(["crash_loop", "missing_secret"]);
    expect(workloadSignals(o).find((s) => s.name === "missing_secret")?.value).toBe("secret/web-db");
  });

  it("a restarted pod that cannot start (CreateContainerConfigError) also reads as missing_secret", () => {
    const blocked = pod(
      "web-a-2",
      "a",
      {
        ready: false,
        waiting: { reason: "CreateContainerConfigError", message: 'secret "web-db" not found' },
      },
      false,
    );
    expect(names(obs([blocked], [revision(1, "a", 0)]))).toEqual(["crash_loop", "missing_secret"]);
  });

  it("OOM kills on a revision that rolled out a day ago → oom_killed, no recent_rollout (a restart, not a rollback)", () => {
    const o = obs([pod("web-b-1", "b", oom)], [revision(2, "b", 0), revision(1, "a", -60)]);
    expect(names(o)).toEqual(["oom_killed"]);
  });

  it("OOM kills on a revision that rolled out minutes ago → oom_killed + recent_rollout", () => {
    const o = obs(
      [
        pod("web-b-1", "b", {
          ...oom,
          lastTerminated: { reason: "OOMKilled", exitCode: 137, finishedAt: at(6) },
        }),
      ],
      [revision(2, "b", 3), revision(1, "a", 0)],
    );
    expect(names(o)).toEqual(["oom_killed", "recent_rollout"]);
  });

  it("reads the cluster's clock from its own timestamps, not this machine's", () => {
    const o = obs([pod("web-b-1", "b", oom)], [revision(2, "b", 0)]);
    expect(clusterNow(o)).toBe(Date.parse(at(60 * 24 + 5)));
  });

  it("all pods Ready and not restarting → healthy", () => {
    expect(names(obs([pod("web-a-1", "a"), pod("web-a-2", "a")], [revision(1, "a", 0)]))).toEqual([
      "healthy",
    ]);
  });
});

describe("Kubernetes node signals", () => {
  const node = (over: Partial<NodeSnapshot>): NodeSnapshot => ({
    name: "sim-node-1",
    unschedulable: false,
    conditions: [
      { type: "Ready", status: "True", reason: "KubeletReady", message: "", since: at(0) },
      { type: "DiskPressure", status: "False", reason: "", message: "", since: at(0) },
    ],
    taints: [],
    pods: [pod("web-a-1", "a")],
    ...over,
  });
  /** A node condition that changed a minute in. */
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: "",
    since: at(1),
  });
  const names = (n: NodeSnapshot) =>
    nodeSignals(n)
      .map((s) => s.name)
      .sort();

  it("NotReady with workloads → node_not_ready", () => {
    const n = node({});
    n.conditions[0] = condition("Ready", "Unknown", "NodeStatusUnknown");
    expect(names(n)).toEqual(["node_not_ready"]);
  });
  it("DiskPressure → disk_pressure", () => {
    const n = node({});
    n.conditions[1] = condition("DiskPressure", "True", "KubeletHasDiskPressure");
    expect(names(n)).toEqual(["disk_pressure"]);
  });
  it("NotReady but already cordoned and empty (DaemonSet pods only) → node_drained too", () => {
    const ds = { ...pod("node-exporter-x", "z"), ownerKind: "DaemonSet" };
    const n = node({ unschedulable: true, pods: [ds] });
    n.conditions[0] = condition("Ready", "Unknown", "NodeStatusUnknown");
    expect(names(n)).toEqual(["node_drained", "node_not_ready"]);
  });
  it("Ready, no pressure → healthy", () => {
    expect(names(node({}))).toEqual(["healthy"]);
  });
});

describe("signals from serving pods' logs", () => {
  const on = (p: PodSnapshot, node: string) => ({ ...p, node });
  it("slow lines only on the pods of one node → slow_on_one_node naming it", () => {
    const o = obs(
      [on(pod("w1", "a"), "n1"), on(pod("w2", "a"), "n2"), on(pod("w3", "a"), "n3")],
      [revision(1, "a", 0)],
      {
        w1: ["WARN request handling slow: event loop delay 450ms (cpu throttled)"],
        w2: ["INFO GET /api 200"],
        w3: ["INFO GET /api 200"],
      },
    );
    const s = workloadSignals(o);
    expect(s.map((x) => x.name)).toEqual(["slow_on_one_node"]);
    expect(s[0]?.value).toBe("n1");
  });
  it("every pod shedding load → capacity_saturated, with the HPA's position", () => {
    const line = "WARN worker pool saturated: 80 req/s offered, capacity 40 req/s; shedding load (503)";
    const o = obs([on(pod("w1", "a"), "n1"), on(pod("w2", "a"), "n2")], [revision(1, "a", 0)], {
      w1: [line],
      w2: [line],
    });
    o.hpa = {
      name: "web",
      target: "web",
      minReplicas: 3,
      maxReplicas: 4,
      currentReplicas: 4,
      desiredReplicas: 4,
      atMax: true,
    };
    expect(names(o)).toEqual(["capacity_saturated", "hpa_at_max"]);
  });
  it("upstream 429s are not the service's own server errors", () => {
    const line = "ERROR upstream payments-api returned 429 Too Many Requests (retry-after: 1)";
    const o = obs([pod("w1", "a")], [revision(1, "a", 0)], { w1: [line, line, line] });
    expect(names(o)).toEqual(["upstream_throttled"]);
  });
  it("one stray upstream 429 beside a release's own errors is not throttling", () => {
    const err = "ERROR GET /api/checkout 500 TypeError: cannot read properties of undefined";
    const once = "ERROR upstream payments-api returned 429 Too Many Requests (retry-after: 1)";
    const o = obs([pod("w1", "a")], [revision(1, "a", 0)], { w1: [once, err, err, err] });
    expect(names(o)).toContain("http_errors");
    expect(names(o)).not.toContain("upstream_throttled");
  });
  it("a server's own summary of a high error rate counts as server errors; an everyday one does not", () => {
    const bad = (pct: string) =>
      `2026-11-23T10:05:00Z INFO served 200 requests in 10s (errors ${pct}%, p95 80ms)`;
    const released = obs([pod("w1", "b")], [revision(2, "b", 20), revision(1, "a", 0)], {
      w1: [bad("41.8"), bad("43.0"), bad("42.1")],
    });
    expect(names(released)).toEqual(expect.arrayContaining(["http_errors", "recent_rollout"]));
    const noisy = obs([pod("w1", "b")], [revision(2, "b", 20), revision(1, "a", 0)], {
      w1: [bad("0.4"), bad("1.2"), bad("0.0")],
    });
    expect(names(noisy)).not.toContain("http_errors");
    // Other spellings of the same summary, from a new revision's pod.
    const spellings = ["error rate: 12%", "5xx 9.5%", "error ratio 30 %"];
    const rate = obs([pod("w1", "b")], [revision(2, "b", 20), revision(1, "a", 0)], { w1: spellings });
    expect(names(rate)).toContain("http_errors");
    // The only revision's pods summarising errors (a callee failing, a port nobody serves): not its own release.
    const only = obs([pod("w1", "a")], [revision(1, "a", 0)], {
      w1: [bad("41.8"), bad("43.0"), bad("42.1")],
    });
    expect(names(only)).not.toContain("http_errors");
  });
  it("a backlog line counts while it is current, not after the worker has logged on without one", () => {
    const backlog = "WARN queue emails: 50 messages waiting; processing 5 msg/s per worker";
    const served = "INFO served 40 requests in 10s (errors 0.0%, p95 80ms)";
    const current = obs([pod("w1", "a")], [revision(1, "a", 0)], { w1: [served, backlog, served, backlog] });
    expect(names(current)).toContain("queue_backlog");
    const drained = obs([pod("w1", "a")], [revision(1, "a", 0)], {
      w1: [served, backlog, served, served, served, served, served],
    });
    expect(names(drained)).not.toContain("queue_backlog");
  });
});

describe("consumer group and database signals", () => {
  it("lag with fewer ready consumers than partitions, and with as many", () => {
    const base = { group: "orders", partitions: 6, lagSeen: "alert" };
    expect(consumerGroupSignals({ ...base, readyConsumers: 2 }).map((s) => s.name)).toEqual([
      "consumer_lag",
      "consumers_below_partitions",
    ]);
    expect(consumerGroupSignals({ ...base, readyConsumers: 6 }).map((s) => s.name)).toEqual([
      "consumer_lag",
      "consumers_at_partitions",
    ]);
    expect(consumerGroupSignals({ ...base, readyConsumers: 2, lagSeen: null })).toEqual([]);
  });
  it("slow queries reported by clients, and whether the Service already selects the secondary", () => {
    const clientLogs = { "web-1": ["WARN slow query on orders-db (primary): SELECT took 1200ms"] };
    const o = { service: "orders-db", secondary: "secondary", clientLogs };
    expect(databaseSignals({ ...o, selected: "primary" }).map((s) => s.name)).toEqual(["db_slow"]);
    expect(databaseSignals({ ...o, selected: "secondary" }).map((s) => s.name)).toEqual([
      "db_slow",
      "db_on_secondary",
    ]);
    expect(
      databaseSignals({ ...o, selected: "primary", clientLogs: { "web-1": ["slow query on orders-dbx"] } }),
    ).toEqual([]);
  });
});

describe("OOM of the only revision: limit below need, or a leak a restart resets", () => {
  const atStart: Partial<ContainerSnapshot> = {
    ready: false,
    restartCount: 4,
    memoryLimitBytes: 128 * 2 ** 20,
    lastTerminated: { reason: "OOMKilled", exitCode: 137, finishedAt: at(3) },
  };

  it("every pod OOM-killed within minutes of starting, again and again → oom_limit_too_low, escalated with the limit", async () => {
    const o = obs(
      [pod("web-a-1", "a", atStart, false), pod("web-a-2", "a", atStart, false)],
      [revision(1, "a", 0)],
    );
    const signals = workloadSignals(o);
    const limited = signals.find((s) => s.name === "oom_limit_too_low");
    expect(limited?.detail).toMatch(/OOMKilled within about 45 s of starting .*memory limit 128 MiB/);
    const target = k8sWorkload("web");
    const decision = await heuristicDecision(target, signals);
    expect(decision.action).toBe("none");
    expect(decision.rationale).toMatch(/memory limit is below what it needs/);
  });

  it("look-alike: a pod that ran for a day before its OOM kills (a slow leak) → oom_killed only, a restart buys time", () => {
    const o = obs([pod("web-a-1", "a", oom), pod("web-a-2", "a")], [revision(1, "a", 0)]);
    expect(names(o)).toContain("oom_killed");
    expect(names(o)).not.toContain("oom_limit_too_low");
  });
});
