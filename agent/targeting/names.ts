import type { Target } from "../../core/types.ts";

/**
 * Target names are validated against the platform's own grammar before any API call: a name goes into a
 * URL path (`/containers/<name>/json`, `/api/v1/namespaces/<ns>/pods/<name>`), so `../`, `%2F` or a
 * slash in a label must never reach a client. Anything outside the grammar is escalated, not repaired.
 */

/** Docker's container name grammar (daemon/names: RestrictedNamePattern), with an optional leading slash. */
const DOCKER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** A full container id or a prefix of one, as `docker inspect` accepts. */
const DOCKER_ID = /^[0-9a-f]{1,64}$/;
/** Compose service names (compose-spec: `^[a-zA-Z0-9._-]+$`). */
const COMPOSE_SERVICE = /^[a-zA-Z0-9._-]+$/;
/** RFC 1123 label: namespaces and container names (at most 63 characters). */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: pod, workload and node names (at most 253 characters, dot-separated labels). */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_DOCKER_NAME = 255;

/** Why `name` is not a Docker container name or id, or undefined when it is one. */
export function dockerContainerNameProblem(name: string): string | undefined {
  if (name.length > MAX_DOCKER_NAME) return `longer than ${MAX_DOCKER_NAME} characters`;
  if (DOCKER_ID.test(name) || DOCKER_NAME.test(name)) return undefined;
  return "not a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+) or id (hex)";
}

/** Why `name` is not a Compose service name, or undefined when it is one. */
export function composeServiceProblem(name: string): string | undefined {
  if (name.length > MAX_DOCKER_NAME) return `longer than ${MAX_DOCKER_NAME} characters`;
  // "." and ".." match the character class but are never service names.
  if (COMPOSE_SERVICE.test(name) && !/^\.+$/.test(name)) return undefined;
  return "not a Compose service name ([a-zA-Z0-9._-]+)";
}

/** Why `name` is not an RFC 1123 label (namespace, container), or undefined when it is one. */
export function dns1123LabelProblem(name: string): string | undefined {
  if (name.length > 63) return "longer than 63 characters";
  if (DNS1123_LABEL.test(name)) return undefined;
  return "not an RFC 1123 label (lower-case alphanumerics and '-', starting and ending alphanumeric)";
}

/** Why `name` is not an RFC 1123 subdomain (pod, deployment, node), or undefined when it is one. */
export function dns1123SubdomainProblem(name: string): string | undefined {
  if (name.length > 253) return "longer than 253 characters";
  if (DNS1123_SUBDOMAIN.test(name)) return undefined;
  return "not an RFC 1123 subdomain (lower-case alphanumerics, '-' and '.', starting and ending alphanumeric)";
}

/**
 * Why this target cannot be a real object of its platform (e.g. `container "../x": not a Docker container
 * name ...`), or undefined when every name in it follows the platform's grammar.
 */
export function targetNameProblem(target: Target): string | undefined {
  const check = (what: string, value: string, problem: (v: string) => string | undefined) => {
    const p = problem(value);
    return p ? `${what} ${JSON.stringify(value)}: ${p}` : undefined;
  };
  switch (target.kind) {
    case "docker_container":
      return (
        check("container", target.name, dockerContainerNameProblem) ??
        (target.id === undefined ? undefined : check("container id", target.id, dockerContainerNameProblem))
      );
    case "docker_service":
      return (
        check("compose service", target.service, composeServiceProblem) ??
        (target.project === undefined
          ? undefined
          : check("compose project", target.project, composeServiceProblem)) ??
        (target.member === undefined
          ? undefined
          : check("container", target.member, dockerContainerNameProblem))
      );
    case "k8s_workload":
      return (
        check("namespace", target.namespace, dns1123LabelProblem) ??
        check(target.workload, target.name, dns1123SubdomainProblem) ??
        (target.container === undefined
          ? undefined
          : check("container", target.container, dns1123LabelProblem))
      );
    case "k8s_node":
      return check("node", target.name, dns1123SubdomainProblem);
    case "unresolved":
      return undefined;
  }
}
