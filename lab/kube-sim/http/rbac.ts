import type { IncomingMessage } from "node:http";
import { parseAllDocuments } from "yaml";
import type { RequestAttributes } from "./router.ts";
import { ApiError } from "./status.ts";

export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface Binding {
  namespace: string | undefined;
  roleKind: "Role" | "ClusterRole";
  roleName: string;
  subjects: { kind: string; name: string; namespace?: string }[];
}

/** A ServiceAccount's identity, as the API server names it in errors. */
export interface Subject {
  namespace: string;
  name: string;
}

/** The default token of a ServiceAccount without a token Secret in the RBAC file. */
export function defaultSaToken(namespace: string, name: string): string {
  return `kube-sim.${namespace}.${name}`;
}

/** A request as RBAC sees it, for the API server's 403 message. */
export interface ForbiddenRequest {
  verb: string;
  plural: string;
  subresource?: string | undefined;
  group: string;
  /** The namespace asked in; undefined for a cluster-scoped resource or a request across all namespaces. */
  namespace: string | undefined;
  name?: string | undefined;
}

/** The API server's message when RBAC refuses a ServiceAccount a request. */
export function forbiddenMessage(s: Subject, a: ForbiddenRequest): string {
  const resource = a.subresource ? `${a.plural}/${a.subresource}` : a.plural;
  const user = `system:serviceaccount:${s.namespace}:${s.name}`;
  const qualified = a.group ? `${a.plural}.${a.group}` : a.plural;
  const what = a.name ? `${qualified} "${a.name}"` : qualified;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
  return `${what} is forbidden: User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`;
}

/** Whether one PolicyRule grants a verb on a resource (`plural` or `plural/subresource`) of a group. */
export function ruleAllows(
  rule: Rule,
  verb: string,
  group: string,
  resource: string,
  name: string | undefined,
): boolean {
  const groupOk = (rule.apiGroups ?? []).some((g) => g === "*" || g === group);
  const resOk = (rule.resources ?? []).some(
    (x) => x === "*" || x === resource || (x.endsWith("/*") && resource.startsWith(x.slice(0, -1))),
  );
  const verbOk = rule.verbs.some((v) => v === "*" || v === verb);
  const nameOk = !rule.resourceNames?.length || (name !== undefined && rule.resourceNames.includes(name));
  return groupOk && resOk && verbOk && nameOk;
}

/** RBAC from a file of ServiceAccounts, Roles, ClusterRoles, bindings and (optionally) token Secrets. */
export class Rbac {
  private readonly roles = new Map<string, Rule[]>();
  private readonly bindings: Binding[] = [];
  private readonly tokens = new Map<string, Subject>();

  constructor(
    yamlText: string,
    private readonly adminToken: string,
  ) {
    for (const doc of parseAllDocuments(yamlText)) {
      const o = doc.toJS() as {
        kind?: string;
        metadata?: { name: string; namespace?: string; annotations?: Record<string, string> };
        rules?: Rule[];
        roleRef?: { kind: "Role" | "ClusterRole"; name: string };
        subjects?: Binding["subjects"];
        type?: string;
        stringData?: Record<string, string>;
        data?: Record<string, string>;
      } | null;
      if (!o?.kind || !o.metadata) continue;
      const ns = o.metadata.namespace ?? "default";
      switch (o.kind) {
        case "ServiceAccount":
          this.tokens.set(defaultSaToken(ns, o.metadata.name), { namespace: ns, name: o.metadata.name });
          break;
        case "Role":
          this.roles.set(`Role/${ns}/${o.metadata.name}`, o.rules ?? []);
          break;
        case "ClusterRole":
          this.roles.set(`ClusterRole//${o.metadata.name}`, o.rules ?? []);
          break;
        case "RoleBinding":
        case "ClusterRoleBinding":
          if (o.roleRef)
            this.bindings.push({
              namespace: o.kind === "RoleBinding" ? ns : undefined,
              roleKind: o.roleRef.kind,
              roleName: o.roleRef.name,
              subjects: o.subjects ?? [],
            });
          break;
        case "Secret": {
          const sa = o.metadata.annotations?.["kubernetes.io/service-account.name"];
          const token =
            o.stringData?.token ??
            (o.data?.token ? Buffer.from(o.data.token, "base64").toString("utf8") : undefined);
          if (o.type === "kubernetes.io/service-account-token" && sa && token)
            this.tokens.set(token, { namespace: ns, name: sa });
          break;
        }
      }
    }
  }

  /** Authenticates the bearer token and checks the request against the account's roles (401 / 403 otherwise). */
  authorize(req: IncomingMessage, attrs: RequestAttributes | undefined): void {
    const auth = req.headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
    if (token === this.adminToken) return;
    const subject = this.tokens.get(token);
    if (!subject) throw new ApiError("Unauthorized", "Unauthorized");
    if (!attrs) return; // discovery, version and OpenAPI are open to every authenticated user
    if (this.allowed(subject, attrs)) return;
    const r = attrs.resource;
    throw new ApiError(
      "Forbidden",
      forbiddenMessage(subject, {
        verb: attrs.verb,
        plural: r.plural,
        subresource: attrs.subresource,
        group: r.group,
        namespace: r.namespaced ? attrs.namespace : undefined,
        name: attrs.name,
      }),
      {
        ...(attrs.name ? { name: attrs.name } : {}),
        group: r.group,
        kind: r.plural,
      },
    );
  }

  private allowed(s: Subject, a: RequestAttributes): boolean {
    const resource = a.subresource ? `${a.resource.plural}/${a.subresource}` : a.resource.plural;
    for (const b of this.bindings) {
      if (
        !b.subjects.some(
          (x) =>
            x.kind === "ServiceAccount" &&
            x.name === s.name &&
            (x.namespace ?? b.namespace ?? "default") === s.namespace,
        )
      )
        continue;
      // A RoleBinding grants only inside its namespace.
      if (b.namespace !== undefined && (!a.resource.namespaced || a.namespace !== b.namespace)) continue;
      const rules =
        this.roles.get(
          b.roleKind === "Role" ? `Role/${b.namespace}/${b.roleName}` : `ClusterRole//${b.roleName}`,
        ) ?? [];
      if (rules.some((rule) => ruleAllows(rule, a.verb, a.resource.group, resource, a.name))) return true;
    }
    return false;
  }
}
