import { randomSuffix } from "../store.ts";
import type { Pod, ReplicaSet } from "../types.ts";
import { clone } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, isActive, isPodReady, ownerRef } from "./context.ts";
import { admitPriority } from "./priority.ts";
import { admitServiceAccount } from "./workloadRbac.ts";
import { quotaRefusal } from "./quota.ts";

/** ReplicaSet controller: keeps `spec.replicas` pods from the template, owned by the ReplicaSet. */
export function reconcileReplicaSets(ctx: SimContext): void {
  for (const o of ctx.store.view(R.replicasets)) reconcileOne(ctx, o as ReplicaSet);
}

function reconcileOne(ctx: SimContext, rs: ReplicaSet): void {
  const ns = rs.metadata.namespace!;
  const pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(
    (p) => controllerOf(p)?.uid === rs.metadata.uid && isActive(p),
  );
  const want = rs.spec.replicas ?? 1;
  if (pods.length < want) {
    for (let i = pods.length; i < want; i++) {
      const t = clone(rs.spec.template);
      const draft = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: `${rs.metadata.name}-${randomSuffix(5)}`,
          namespace: ns,
          labels: t.metadata?.labels,
          ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
          ownerReferences: [ownerRef(rs)],
        },
        spec: t.spec,
        status: { phase: "Pending", qosClass: "Burstable" },
      } as Pod;
      const refused =
        admitServiceAccount(ctx, draft) ?? admitPriority(ctx, draft) ?? quotaRefusal(ctx, draft);
      if (refused) {
        const key = `FailedCreate/${rs.metadata.uid}`;
        const now = ctx.clock.now();
        if (now - (ctx.world.reported.get(key) ?? -Infinity) >= 10_000) {
          ctx.world.reported.set(key, now);
          ctx.events.record(
            rs,
            "Warning",
            "FailedCreate",
            `Error creating: ${refused}`,
            "replicaset-controller",
          );
        }
        break;
      }
      const pod = ctx.store.create(R.pods, draft) as Pod;
      pods.push(pod);
      ctx.events.record(
        rs,
        "Normal",
        "SuccessfulCreate",
        `Created pod: ${pod.metadata.name}`,
        "replicaset-controller",
      );
    }
  } else if (pods.length > want) {
    // Delete the least useful first: unscheduled, then not ready, then the youngest.
    const rank = (p: Pod) => (p.spec.nodeName ? 0 : 2) + (isPodReady(p) ? 0 : 1);
    const victims = [...pods]
      .sort(
        (a, b) =>
          rank(b) - rank(a) ||
          String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
      )
      .slice(0, pods.length - want);
    for (const p of victims) {
      ctx.store.delete(R.pods, ns, p.metadata.name);
      ctx.logs.forget(p.metadata.uid!);
      ctx.events.record(
        rs,
        "Normal",
        "SuccessfulDelete",
        `Deleted pod: ${p.metadata.name}`,
        "replicaset-controller",
      );
    }
    const gone = new Set(victims.map((v) => v.metadata.uid));
    pods.splice(0, pods.length, ...pods.filter((p) => !gone.has(p.metadata.uid)));
  }
  const ready = pods.filter(isPodReady).length;
  const status = {
    replicas: pods.length,
    fullyLabeledReplicas: pods.length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: rs.metadata.generation,
  };
  if (JSON.stringify(status) !== JSON.stringify(rs.status)) {
    ctx.store.update(
      R.replicasets,
      { ...rs, status, metadata: { ...rs.metadata, resourceVersion: undefined } },
      "status",
    );
  }
}
