import {
  type KubeSim,
  renderMetrics,
  resourceOf,
  type Deployment,
  type KubeEvent,
  type Node,
  type Pod,
  type ReplicaSet,
} from "@aegisops/kube-sim";

/** Reads the simulated cluster the way a test (or an SRE with kubectl) would look at it. */
export function look(sim: KubeSim) {
  const { store } = sim.ctx;
  const pods = (app: string, ns = "shop") =>
    (store.list(resourceOf("Pod"), ns) as Pod[]).filter((p) => p.metadata.labels?.app === app);
  return {
    pods,
    ready: (app: string, ns = "shop") =>
      pods(app, ns).filter((p) =>
        p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      ),
    waiting: (app: string, ns = "shop") =>
      pods(app, ns)
        .map((p) => p.status?.containerStatuses?.[0]?.state.waiting?.reason)
        .filter(Boolean),
    deployment: (name: string, ns = "shop") => store.get(resourceOf("Deployment"), ns, name) as Deployment,
    node: (name: string) => store.get(resourceOf("Node"), undefined, name) as Node,
    condition: (node: string, type: string) =>
      (store.get(resourceOf("Node"), undefined, node) as Node).status?.conditions?.find(
        (c) => c.type === type,
      )?.status,
    events: (ns = "shop") => store.list(resourceOf("Event"), ns) as KubeEvent[],
    log: (pod: Pod, previous = false) =>
      sim.ctx.logs.read(pod.metadata.uid!, pod.metadata.name, pod.spec.containers[0]!.name, previous),
    fault: (id: string) => sim.faults().find((f) => f.id === id)!,
  };
}

/** Sums the samples of a metric whose labels include `labels`, from the simulator's /metrics text. */
export function metric(sim: KubeSim, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of renderMetrics(sim.ctx).split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf("}"));
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** The increase of a counter over `ms` of virtual time. */
export function increase(
  sim: KubeSim,
  ms: number,
  name: string,
  labels: Record<string, string> = {},
): number {
  const before = metric(sim, name, labels);
  sim.advance(ms);
  return metric(sim, name, labels) - before;
}

/** Healing actions as the product would take them: plain API calls with the admin token. */
export function act(sim: KubeSim) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    type = "application/merge-patch+json",
  ) => {
    const res = await fetch(sim.url + path, {
      method,
      headers: { Authorization: `Bearer ${sim.adminToken}`, "Content-Type": type },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${String(json.message)}`);
    sim.reconcile();
    return json;
  };
  const deploy = (name: string) => `/apis/apps/v1/namespaces/shop/deployments/${name}`;
  return {
    call,
    deletePod: (name: string) => call("DELETE", `/api/v1/namespaces/shop/pods/${name}`),
    evict: (ns: string, name: string) =>
      call(
        "POST",
        `/api/v1/namespaces/${ns}/pods/${name}/eviction`,
        { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: ns } },
        "application/json",
      ),
    scale: (name: string, replicas: number) => call("PATCH", `${deploy(name)}/scale`, { spec: { replicas } }),
    rolloutRestart: (name: string) =>
      call(
        "PATCH",
        deploy(name),
        {
          spec: {
            template: {
              metadata: {
                annotations: { "kubectl.kubernetes.io/restartedAt": new Date(sim.clock.now()).toISOString() },
              },
            },
          },
        },
        "application/strategic-merge-patch+json",
      ),
    cordon: (node: string, on = true) =>
      call(
        "PATCH",
        `/api/v1/nodes/${node}`,
        { spec: { unschedulable: on ? true : null } },
        "application/strategic-merge-patch+json",
      ),
    /** What `kubectl rollout undo` sends: the previous ReplicaSet's template as a JSON patch. */
    undo: async (name: string) => {
      const d = sim.ctx.store.get(resourceOf("Deployment"), "shop", name) as Deployment;
      const rss = (sim.ctx.store.list(resourceOf("ReplicaSet"), "shop") as ReplicaSet[])
        .filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid))
        .sort(
          (a, b) =>
            Number(b.metadata.annotations!["deployment.kubernetes.io/revision"]) -
            Number(a.metadata.annotations!["deployment.kubernetes.io/revision"]),
        );
      const template = JSON.parse(JSON.stringify(rss[1]!.spec.template)) as ReplicaSet["spec"]["template"];
      delete template.metadata!.labels!["pod-template-hash"];
      return call(
        "PATCH",
        deploy(name),
        [{ op: "replace", path: "/spec/template", value: template }],
        "application/json-patch+json",
      );
    },
    /** cordon + evict every non-DaemonSet pod, retrying refused evictions every 5 s (what `kubectl drain` does). */
    drain: async (node: string) => {
      await call(
        "PATCH",
        `/api/v1/nodes/${node}`,
        { spec: { unschedulable: true } },
        "application/strategic-merge-patch+json",
      );
      for (let attempt = 0; attempt < 12; attempt++) {
        const left = (sim.ctx.store.list(resourceOf("Pod")) as Pod[]).filter(
          (p) => p.spec.nodeName === node && p.metadata.ownerReferences?.[0]?.kind !== "DaemonSet",
        );
        if (left.length === 0) return;
        for (const p of left) {
          const path = `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/eviction`;
          await call(
            "POST",
            path,
            { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: p.metadata.name } },
            "application/json",
          ).catch(() => undefined);
        }
        sim.advance(5000);
      }
      throw new Error(`drain of ${node} did not finish`);
    },
  };
}
