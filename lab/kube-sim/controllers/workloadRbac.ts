import { forbiddenMessage, ruleAllows, type Rule, type Subject } from "../http/rbac.ts";
import type { KubeApiCall, RevisionBehaviour } from "../registry.ts";
import { RESOURCES, resourceOf } from "../resources.ts";
import type { KubeObject, Pod } from "../types.ts";
import type { SimContext } from "./context.ts";

const RBAC = {
  roles: resourceOf("Role"),
  clusterroles: resourceOf("ClusterRole"),
  rolebindings: resourceOf("RoleBinding"),
  clusterrolebindings: resourceOf("ClusterRoleBinding"),
  serviceaccounts: resourceOf("ServiceAccount"),
};

interface RoleObject extends KubeObject {
  rules?: Rule[];
}
interface BindingObject extends KubeObject {
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** The ServiceAccount a pod runs as (`default` when the spec names none, as the admission plugin sets it). */
export function serviceAccountOf(p: Pod): Subject {
  const spec = p.spec as Pod["spec"] & { serviceAccountName?: string; serviceAccount?: string };
  return {
    namespace: p.metadata.namespace ?? "default",
    name: spec.serviceAccountName ?? spec.serviceAccount ?? "default",
  };
}

/**
 * The ServiceAccount admission plugin on a pod: a pod that names a ServiceAccount its namespace does not hold
 * is refused with the API server's 403 message. `default` always exists (the serviceaccount controller creates
 * it in every namespace). Returns the refusal, or undefined.
 */
export function admitServiceAccount(ctx: Pick<SimContext, "store">, pod: Pod): string | undefined {
  const sa = serviceAccountOf(pod);
  if (sa.name === "default" || ctx.store.peek(RBAC.serviceaccounts, sa.namespace, sa.name)) return undefined;
  // Controllers create pods by generateName: the message names the prefix, as the real one does.
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  const name = owner && owner.kind !== "StatefulSet" ? `${owner.name}-` : pod.metadata.name;
  return `pods "${name}" is forbidden: error looking up service account ${sa.namespace}/${sa.name}: serviceaccount "${sa.name}" not found`;
}

/** Whether a binding's subjects include the ServiceAccount (directly or by one of its groups). */
function bindsSubject(b: BindingObject, s: Subject): boolean {
  const bindingNs = b.metadata.namespace;
  return (b.subjects ?? []).some((x) => {
    if (x.kind === "ServiceAccount") return x.name === s.name && (x.namespace ?? bindingNs) === s.namespace;
    if (x.kind === "Group")
      return (
        x.name === "system:serviceaccounts" ||
        x.name === `system:serviceaccounts:${s.namespace}` ||
        x.name === "system:authenticated"
      );
    if (x.kind === "User") return x.name === `system:serviceaccount:${s.namespace}:${s.name}`;
    return false;
  });
}

/**
 * Whether the cluster's Roles, ClusterRoles and their bindings (the objects stored in the simulator, as the
 * API server's RBAC authorizer reads them) let a ServiceAccount make a call. `namespace` undefined: a
 * cluster-scoped resource or a request across all namespaces, which only a ClusterRoleBinding can grant.
 */
export function serviceAccountCan(
  ctx: SimContext,
  s: Subject,
  call: {
    verb: string;
    group: string;
    resource: string;
    namespace: string | undefined;
    name?: string | undefined;
  },
): boolean {
  const grants = (roleRef: BindingObject["roleRef"], bindingNs: string | undefined) => {
    if (!roleRef) return false;
    const role =
      roleRef.kind === "Role"
        ? ctx.store.peek(RBAC.roles, bindingNs, roleRef.name)
        : ctx.store.peek(RBAC.clusterroles, undefined, roleRef.name);
    const rules = (role as RoleObject | undefined)?.rules ?? [];
    return rules.some((r) => ruleAllows(r, call.verb, call.group, call.resource, call.name));
  };
  for (const o of ctx.store.view(RBAC.clusterrolebindings)) {
    const b = o as BindingObject;
    if (bindsSubject(b, s) && grants(b.roleRef, undefined)) return true;
  }
  if (call.namespace === undefined) return false;
  for (const o of ctx.store.view(RBAC.rolebindings, call.namespace)) {
    const b = o as BindingObject;
    if (bindsSubject(b, s) && grants(b.roleRef, call.namespace)) return true;
  }
  return false;
}

/** Whether a resource (plural, in a group) is namespaced; unknown resources are taken as namespaced. */
function isNamespaced(group: string, plural: string): boolean {
  return RESOURCES.find((r) => r.group === group && r.plural === plural)?.namespaced ?? true;
}

/** A refused call: the API server's message and what the process logs. */
export interface KubeApiRefusal {
  call: KubeApiCall;
  message: string;
  logs: string[];
}

/** The process's Kubernetes API calls that the cluster's RBAC refuses its pod's ServiceAccount. */
export function refusedKubeApiCalls(
  ctx: SimContext,
  p: Pod,
  b: RevisionBehaviour,
  mode?: KubeApiCall["onForbidden"],
): KubeApiRefusal[] {
  const out: KubeApiRefusal[] = [];
  const sa = serviceAccountOf(p);
  for (const call of b.kubeApi ?? []) {
    if (mode !== undefined && call.onForbidden !== mode) continue;
    const [plural = call.resource, subresource] = call.resource.split("/");
    const ns = isNamespaced(call.group, plural)
      ? call.namespace === ""
        ? undefined
        : (call.namespace ?? sa.namespace)
      : undefined;
    const req = {
      verb: call.verb,
      group: call.group,
      resource: call.resource,
      namespace: ns,
      name: call.name,
    };
    if (serviceAccountCan(ctx, sa, req)) continue;
    const message = forbiddenMessage(sa, {
      verb: call.verb,
      plural,
      subresource,
      group: call.group,
      namespace: ns,
      name: call.name,
    });
    const logs = (call.log ?? ["Error from server (Forbidden): $message"]).map((l) =>
      l.replaceAll("$message", message),
    );
    out.push({ call, message, logs });
  }
  return out;
}
