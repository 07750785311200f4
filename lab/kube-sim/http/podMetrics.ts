import { rfc3339 } from "../clock.ts";
import type { SimContext } from "../controllers/context.ts";
import { R, isActive } from "../controllers/context.ts";
import { serviceLoad } from "../load.ts";
import type { Deployment, KubeObject, Pod } from "../types.ts";
import { parseCpu } from "../world.ts";

/** metrics-server's scrape window (its default metric resolution). */
const WINDOW = "15s";

/**
 * metrics.k8s.io/v1beta1 PodMetrics as metrics-server serves them: one item per pod with running containers,
 * its working set (`memory`, in Ki) and CPU (`cpu`, in nanocores) read from the simulated kubelets now.
 */
export function podMetrics(ctx: SimContext, namespace: string | undefined): KubeObject[] {
  const now = ctx.clock.now();
  const cpuPercent = new Map<string, number>();
  for (const o of ctx.store.view(R.deployments, namespace)) {
    for (const pl of serviceLoad(ctx, o as Deployment).pods)
      cpuPercent.set(pl.pod.metadata.uid!, Math.max(pl.cpuPercent, 2));
  }
  const out: KubeObject[] = [];
  for (const p of ctx.store.view(R.pods, namespace) as readonly Pod[]) {
    if (!isActive(p)) continue;
    const rt = ctx.world.runtimes.get(p.metadata.uid!);
    const containers = p.spec.containers.flatMap((c) => {
      const cr = rt?.containers.get(c.name);
      if (cr?.state !== "running") return [];
      const cores =
        ((parseCpu(c.resources?.requests?.cpu) ?? 0.1) * (cpuPercent.get(p.metadata.uid!) ?? 2)) / 100;
      return [
        {
          name: c.name,
          usage: { cpu: `${Math.round(cores * 1e9)}n`, memory: `${Math.round(cr.memBytes / 1024)}Ki` },
        },
      ];
    });
    if (containers.length === 0) continue;
    out.push({
      kind: "PodMetrics",
      apiVersion: "metrics.k8s.io/v1beta1",
      metadata: {
        name: p.metadata.name,
        namespace: p.metadata.namespace,
        creationTimestamp: rfc3339(now),
        ...(p.metadata.labels ? { labels: p.metadata.labels } : {}),
      },
      timestamp: rfc3339(now),
      window: WINDOW,
      containers,
    } as unknown as KubeObject);
  }
  return out;
}
