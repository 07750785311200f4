import { createHash } from "node:crypto";
import { RESOURCES, groupVersions } from "../resources.ts";

const pathPrefix = (gv: { group: string; version: string }) =>
  gv.group === "" ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;

/**
 * One group/version's OpenAPI v3 document, reduced to what kubectl create/apply read: a PATCH operation per
 * kind whose `x-kubernetes-group-version-kind` is an object and which accepts `fieldValidation`, so kubectl
 * leaves validation to the server.
 */
function document(group: string, version: string): unknown {
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter(
    (x) => x.group === group && x.version === version && x.verbs.includes("patch"),
  )) {
    const base = `/${pathPrefix(r)}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.plural}/{name}`;
    paths[base] = {
      patch: {
        operationId: `patch${r.kind}`,
        "x-kubernetes-group-version-kind": { group: r.group, version: r.version, kind: r.kind },
        "x-kubernetes-action": "patch",
        parameters: [
          { name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } },
          { name: "fieldManager", in: "query", schema: { type: "string", uniqueItems: true } },
        ],
        responses: { "200": { description: "OK" } },
      },
    };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.0" }, paths };
}

const hashOf = (v: unknown) =>
  createHash("sha512").update(JSON.stringify(v)).digest("hex").slice(0, 128).toUpperCase();

/** `/openapi/v3`: the index of group/version documents. */
export function openApiIndex(): unknown {
  const paths: Record<string, unknown> = {};
  for (const gv of groupVersions()) {
    const p = pathPrefix(gv);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(document(gv.group, gv.version))}` };
  }
  return { paths };
}

/** `/openapi/v3/<api/v1 | apis/G/V>`, or undefined when not served. */
export function openApiDocument(rest: string): unknown {
  const gv = groupVersions().find((x) => pathPrefix(x) === rest);
  return gv ? document(gv.group, gv.version) : undefined;
}
