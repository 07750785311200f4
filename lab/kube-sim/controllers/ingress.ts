import { resourceOf } from "../resources.ts";
import type { KubeObject } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, save } from "./context.ts";

/** The controller class the simulated ingress controller (ingress-nginx) answers for. */
export const INGRESS_CONTROLLER = "k8s.io/ingress-nginx";
/** The address ingress-nginx's LoadBalancer Service publishes (what `kubectl get ing` shows under ADDRESS). */
export const INGRESS_ADDRESS = "172.18.255.200";
/** The annotation that marks an IngressClass as the cluster's default. */
const DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class";
/** The legacy annotation that named a class before `spec.ingressClassName`. */
const LEGACY_CLASS = "kubernetes.io/ingress.class";

const INGRESS_CLASSES = resourceOf("IngressClass");

interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: { service?: { name: string; port?: { number?: number; name?: string } } };
  rules?: {
    host?: string;
    http?: {
      paths?: { path?: string; backend?: { service?: { name: string; port?: { number?: number } } } }[];
    };
  }[];
}

interface IngressClassObject extends KubeObject {
  spec?: { controller?: string };
}

/** The cluster's default IngressClass, if one is marked. */
export function defaultIngressClass(classes: readonly KubeObject[]): KubeObject | undefined {
  return classes.find((c) => c.metadata.annotations?.[DEFAULT_CLASS] === "true");
}

/**
 * Why ingress-nginx does not serve an Ingress, or undefined when it does. As the real controller (1.x): an
 * Ingress is served when the IngressClass it names (`spec.ingressClassName`, else the legacy annotation, else
 * the default class) exists and its `spec.controller` is ingress-nginx's. A cluster with no IngressClass at all
 * keeps the simulator's older behaviour (every Ingress served, as `--watch-ingress-without-class` does).
 */
export function ingressRefusal(ctx: Pick<SimContext, "store">, ing: KubeObject): string | undefined {
  const classes = ctx.store.view(INGRESS_CLASSES);
  if (!classes.length) return undefined;
  const spec = (ing.spec ?? {}) as IngressSpec;
  const name =
    spec.ingressClassName ??
    ing.metadata.annotations?.[LEGACY_CLASS] ??
    defaultIngressClass(classes)?.metadata.name;
  if (!name) return "ingress does not contain a valid IngressClass";
  const cls = classes.find((c) => c.metadata.name === name) as IngressClassObject | undefined;
  if (!cls) return `no object matching key "${name}" in local store`;
  if (cls.spec?.controller !== INGRESS_CONTROLLER)
    return `ingress class "${name}" is handled by controller "${cls.spec?.controller ?? ""}", not "${INGRESS_CONTROLLER}"`;
  return undefined;
}

/**
 * The ingress controller: publishes its address in the status of the Ingresses it serves (with the real
 * controller's `Sync` event) and takes it away from the others, which get no event (the real one ignores them,
 * logging only in its own pod).
 */
export function reconcileIngresses(ctx: SimContext): void {
  for (const ing of ctx.store.view(R.ingresses)) {
    const served = ingressRefusal(ctx, ing) === undefined;
    const status = ing.status as { loadBalancer?: { ingress?: { ip: string }[] } } | undefined;
    const has = (status?.loadBalancer?.ingress?.length ?? 0) > 0;
    if (served === has) continue;
    const updated = save(ctx, R.ingresses, {
      ...ing,
      status: { loadBalancer: served ? { ingress: [{ ip: INGRESS_ADDRESS }] } : {} },
    });
    if (served)
      ctx.events.record(updated, "Normal", "Sync", "Scheduled for sync", "nginx-ingress-controller");
  }
}

/** A blackbox probe of one Ingress host and path through the controller. */
export interface IngressProbe {
  namespace: string;
  ingress: string;
  instance: string;
  status: number;
}

/** Ready addresses of a Service's Endpoints. */
function readyEndpoints(ctx: SimContext, ns: string, service: string): number {
  const ep = ctx.store.peek(R.endpoints, ns, service) as
    (KubeObject & { subsets?: { addresses?: unknown[] }[] }) | undefined;
  return (ep?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
}

/**
 * What a blackbox exporter probing each Ingress's hosts (`http://host/path`) through the ingress controller
 * reads: an Ingress the controller does not serve falls to its default backend (404); a served one answers 200
 * when its backend Service has ready endpoints, else 503 (ingress-nginx with no upstream).
 */
export function ingressProbes(ctx: SimContext): IngressProbe[] {
  const out: IngressProbe[] = [];
  for (const ing of ctx.store.view(R.ingresses)) {
    const ns = ing.metadata.namespace ?? "default";
    const spec = (ing.spec ?? {}) as IngressSpec;
    const served = ingressRefusal(ctx, ing) === undefined;
    for (const rule of spec.rules ?? []) {
      if (!rule.host) continue;
      for (const p of rule.http?.paths ?? [{ backend: spec.defaultBackend }]) {
        const svc = p.backend?.service?.name;
        const status = !served ? 404 : svc && readyEndpoints(ctx, ns, svc) > 0 ? 200 : 503;
        out.push({
          namespace: ns,
          ingress: ing.metadata.name,
          instance: `http://${rule.host}${p.path ?? "/"}`,
          status,
        });
      }
    }
  }
  return out;
}
