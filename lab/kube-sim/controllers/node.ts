import { rfc3339 } from "../clock.ts";
import type { Condition, Node, Pod } from "../types.ts";
import { resourceOf } from "../resources.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, isActive, save } from "./context.ts";
import {
  DISK_THRESHOLD_RATIO,
  MEMORY_THRESHOLD_BYTES,
  evictForMemory,
  evictForPressure,
  evictOverDiskLimit,
  containerDiskBytes,
  journal,
  nodeDisk,
  nodeMemory,
  pidPressure,
} from "./nodeHealth.ts";

const MANAGED_TAINTS = [
  "node.kubernetes.io/unreachable",
  "node.kubernetes.io/not-ready",
  "node.kubernetes.io/disk-pressure",
  "node.kubernetes.io/memory-pressure",
  "node.kubernetes.io/pid-pressure",
  "node.kubernetes.io/network-unavailable",
  "node.kubernetes.io/unschedulable",
];
const PRESSURE_TRANSITION_PERIOD_MS = 300_000;
const CNI_NOT_READY =
  "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized";

/** True for pods a DaemonSet runs (drain ignores them; disk reclaim does not wait for them). */
export function isDaemonPod(p: Pod): boolean {
  return controllerOf(p)?.kind === "DaemonSet";
}

/** Node lifecycle controller and node-side kubelet status: conditions, taints, NotReady pod handling and eviction. */
export function reconcileNodes(ctx: SimContext): void {
  const now = ctx.clock.now();
  const pods = ctx.store.view(R.pods) as readonly Pod[];
  for (const o of ctx.store.view(R.nodes)) {
    const n = o as Node;
    const name = n.metadata.name;
    const st = ctx.world.node(name);
    const onNode = pods.filter((p) => p.spec.nodeName === name && isActive(p));
    // Disk filled by the node's own workloads is reclaimed once none is left on it (after a drain).
    if (st.diskFilling && onNode.every(isDaemonPod)) st.diskFilling = false;
    const prev = n.status?.conditions ?? [];
    const cond = (type: string, status: Condition["status"], reason: string, message: string): Condition => {
      const old = prev.find((c) => c.type === type);
      const changed = !old || old.status !== status;
      return {
        type,
        status,
        lastHeartbeatTime: changed ? rfc3339(now) : (old.lastHeartbeatTime ?? rfc3339(now)),
        lastTransitionTime: changed ? rfc3339(now) : (old.lastTransitionTime ?? rfc3339(now)),
        reason,
        message,
      };
    };
    // A flapping kubelet: stopped during every other period (its status goes stale, then comes back).
    if (st.flapPeriodMs) {
      const wasDown = st.kubeletDown;
      st.kubeletDown = Math.floor((now - (st.flapSince ?? now)) / st.flapPeriodMs) % 2 === 1;
      if (st.kubeletDown && !wasDown) {
        journal(
          ctx,
          name,
          "kubelet",
          `"Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m0.41s ago; threshold is 3m0s"`,
          "E",
          "kubelet.go:2412",
        );
        journal(ctx, name, "systemd", "kubelet.service: Main process exited, code=killed, status=9/KILL");
        journal(ctx, name, "systemd", "kubelet.service: Failed with result 'signal'.");
      }
      if (!st.kubeletDown && wasDown) {
        journal(ctx, name, "systemd", "kubelet.service: Scheduled restart job, restart counter is at 1.");
        journal(ctx, name, "systemd", "Started kubelet.service - kubelet: The Kubernetes Node Agent.");
      }
    } else if (st.kubeletStopped !== undefined) st.kubeletDown = st.kubeletStopped;
    const down = st.kubeletDown;
    const mem = nodeMemory(ctx, n, onNode);
    const memPressure = !down && mem.available < MEMORY_THRESHOLD_BYTES;
    // Disk: the legacy `diskFilling` shortcut, or what the pods and the system wrote (nodefs.available<10%).
    const disk = nodeDisk(ctx, n, onNode);
    const diskLow = !down && disk.available < DISK_THRESHOLD_RATIO * disk.capacity;
    if (diskLow) st.diskLowAt = now;
    // The condition holds for the kubelet's evictionPressureTransitionPeriod (5 min) after the last low reading.
    const diskPressure =
      !down &&
      (st.diskFilling || (st.diskLowAt !== undefined && now - st.diskLowAt < PRESSURE_TRANSITION_PERIOD_MS));
    const pids = !down && pidPressure(ctx, n, onNode);
    const cni = !down && st.networkUnavailable === true;
    const unknown = (t: string) =>
      cond(t, "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.");
    const conditions = [
      down
        ? unknown("MemoryPressure")
        : memPressure
          ? cond(
              "MemoryPressure",
              "True",
              "KubeletHasInsufficientMemory",
              "kubelet has insufficient memory available",
            )
          : cond(
              "MemoryPressure",
              "False",
              "KubeletHasSufficientMemory",
              "kubelet has sufficient memory available",
            ),
      down
        ? unknown("DiskPressure")
        : diskPressure
          ? cond("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure")
          : cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      down
        ? unknown("PIDPressure")
        : pids
          ? cond("PIDPressure", "True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available")
          : cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
      down
        ? unknown("Ready")
        : cni
          ? cond("Ready", "False", "KubeletNotReady", CNI_NOT_READY)
          : cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
      // Set by the route controller or the CNI; shown once the network was ever reported on.
      ...(st.networkUnavailable === undefined
        ? []
        : [
            st.networkUnavailable
              ? cond(
                  "NetworkUnavailable",
                  "True",
                  "NoRouteCreated",
                  "RouteController failed to create a route",
                )
              : cond("NetworkUnavailable", "False", "RouteCreated", "RouteController created a route"),
          ]),
    ];
    const had = (t: string) => prev.find((c) => c.type === t)?.status === "True";
    const transition = (t: string, now2: boolean, on: string, off: string) => {
      if (down || now2 === had(t)) return;
      const reason = now2 ? on : off;
      ctx.events.record(n, "Normal", reason, `Node ${name} status is now: ${reason}`, "kubelet", name);
    };
    transition("MemoryPressure", memPressure, "NodeHasInsufficientMemory", "NodeHasSufficientMemory");
    transition("PIDPressure", pids, "NodeHasInsufficientPID", "NodeHasSufficientPID");
    if (cni && had("Ready"))
      journal(
        ctx,
        name,
        "kubelet",
        `"Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"`,
        "E",
        "kubelet.go:3002",
      );
    if (pids && !had("PIDPressure"))
      journal(
        ctx,
        name,
        "kubelet",
        `"Eviction manager: attempting to reclaim" resourceName="pids"`,
        "I",
        "eviction_manager.go:366",
      );
    const wasReady = prev.find((c) => c.type === "Ready")?.status === "True";
    const hadPressure = prev.find((c) => c.type === "DiskPressure")?.status === "True";
    const userTaints = (n.spec?.taints ?? []).filter((t) => !MANAGED_TAINTS.includes(t.key));
    const taints = [...userTaints];
    const taintAt = (key: string, effect: string) =>
      n.spec?.taints?.find((t) => t.key === key && t.effect === effect)?.timeAdded ?? rfc3339(now);
    if (n.spec?.unschedulable)
      taints.push({
        key: "node.kubernetes.io/unschedulable",
        effect: "NoSchedule",
        timeAdded: taintAt("node.kubernetes.io/unschedulable", "NoSchedule"),
      });
    if (down) {
      taints.push({
        key: "node.kubernetes.io/unreachable",
        effect: "NoSchedule",
        timeAdded: taintAt("node.kubernetes.io/unreachable", "NoSchedule"),
      });
      taints.push({
        key: "node.kubernetes.io/unreachable",
        effect: "NoExecute",
        timeAdded: taintAt("node.kubernetes.io/unreachable", "NoExecute"),
      });
    }
    if (diskPressure)
      taints.push({
        key: "node.kubernetes.io/disk-pressure",
        effect: "NoSchedule",
        timeAdded: taintAt("node.kubernetes.io/disk-pressure", "NoSchedule"),
      });
    const managed = (key: string, effect: string) =>
      taints.push({ key, effect, timeAdded: taintAt(key, effect) });
    if (memPressure) managed("node.kubernetes.io/memory-pressure", "NoSchedule");
    if (pids) managed("node.kubernetes.io/pid-pressure", "NoSchedule");
    if (cni) {
      managed("node.kubernetes.io/not-ready", "NoSchedule");
      managed("node.kubernetes.io/not-ready", "NoExecute");
      managed("node.kubernetes.io/network-unavailable", "NoSchedule");
    }
    const spec = { ...n.spec };
    if (taints.length) spec.taints = taints;
    else delete spec.taints;
    const next: Node = { ...n, spec, status: { ...n.status, conditions } };
    if (JSON.stringify(next) !== JSON.stringify(n)) save(ctx, R.nodes, next);

    if (wasReady && (down || cni))
      ctx.events.record(
        n,
        "Normal",
        "NodeNotReady",
        `Node ${name} status is now: NodeNotReady`,
        "node-controller",
      );
    if (!wasReady && !down && !cni && prev.length)
      ctx.events.record(n, "Normal", "NodeReady", `Node ${name} status is now: NodeReady`, "kubelet", name);
    if (!hadPressure && diskPressure)
      ctx.events.record(
        n,
        "Normal",
        "NodeHasDiskPressure",
        `Node ${name} status is now: NodeHasDiskPressure`,
        "kubelet",
        name,
      );
    if (hadPressure && !diskPressure && !down)
      ctx.events.record(
        n,
        "Normal",
        "NodeHasNoDiskPressure",
        `Node ${name} status is now: NodeHasNoDiskPressure`,
        "kubelet",
        name,
      );
    if (diskPressure && !hadPressure) {
      ctx.events.record(
        n,
        "Warning",
        "EvictionThresholdMet",
        "Attempting to reclaim ephemeral-storage",
        "kubelet",
        name,
      );
    }

    renewLease(ctx, n, down, now);
    if (!down) evictOverDiskLimit(ctx, n, onNode);
    if (diskLow)
      evictForPressure(
        ctx,
        n,
        onNode.filter((p) => !isDaemonPod(p)),
        {
          resource: "ephemeral-storage",
          threshold: String(Math.round(DISK_THRESHOLD_RATIO * disk.capacity)),
          available: disk.available,
          usage: (p, c) => containerDiskBytes(ctx, p, c),
        },
      );
    else if (memPressure)
      evictForMemory(
        ctx,
        n,
        onNode.filter((p) => !isDaemonPod(p)),
        mem.available,
      );
    if (down || cni) {
      st.downSince ??= now;
      for (const p of onNode) markNotReady(ctx, p, now);
      if (now - st.downSince >= ctx.timings.notReadyEvictionMs) {
        for (const p of onNode.filter((x) => !isDaemonPod(x))) {
          ctx.events.record(
            p,
            "Normal",
            "TaintManagerEviction",
            `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`,
            "taint-eviction-controller",
          );
          ctx.store.delete(R.pods, p.metadata.namespace, p.metadata.name);
        }
      }
    } else st.downSince = undefined;
  }
}

function markNotReady(ctx: SimContext, p: Pod, now: number): void {
  const conds = p.status?.conditions ?? [];
  if (conds.some((c) => c.type === "Ready" && c.status === "False" && c.reason === "NodeNotReady")) return;
  const t = rfc3339(now);
  const conditions = conds.map((c) =>
    c.type === "Ready" || c.type === "ContainersReady"
      ? { ...c, status: "False" as const, reason: "NodeNotReady", lastTransitionTime: t }
      : c,
  );
  const containerStatuses = (p.status?.containerStatuses ?? []).map((cs) => ({ ...cs, ready: false }));
  save(ctx, R.pods, { ...p, status: { ...p.status, conditions, containerStatuses } });
  ctx.events.record(p, "Warning", "NodeNotReady", "Node is not ready", "node-controller");
}

const LEASE_RENEW_MS = 10_000;

/** The kubelet's node Lease in kube-node-lease (kubectl describe node shows it); renewed while the kubelet is up. */
function renewLease(ctx: SimContext, n: Node, down: boolean, now: number): void {
  const leases = resourceOf("Lease");
  const name = n.metadata.name;
  if (!ctx.store.peek(R.namespaces, undefined, "kube-node-lease")) {
    ctx.store.create(R.namespaces, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "kube-node-lease" },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  }
  const cur = ctx.store.peek(leases, "kube-node-lease", name);
  const renewTime = new Date(now).toISOString().replace("Z", "000Z");
  if (!cur) {
    ctx.store.create(leases, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name,
        namespace: "kube-node-lease",
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: n.metadata.uid! }],
      },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime },
    });
    return;
  }
  const last = Date.parse(String((cur.spec as { renewTime?: string }).renewTime ?? 0));
  if (!down && now - last >= LEASE_RENEW_MS)
    save(ctx, leases, { ...cur, spec: { ...(cur.spec as object), renewTime } });
}
