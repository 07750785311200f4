import type { ResourceDef } from "../resources.ts";
import { RESOURCES, apiVersionOf, groupVersions } from "../resources.ts";

/** The Content-Type kubectl requires for aggregated discovery. */
export const AGGREGATED_CT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** True when the Accept header asks for aggregated (apidiscovery v2) discovery. */
export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && /g=apidiscovery\.k8s\.io;v=v2(?!beta)/.test(accept.replace(/\s/g, ""));
}

function aggregatedGroup(group: string): unknown {
  const byVersion = new Map<string, ResourceDef[]>();
  for (const r of RESOURCES.filter((x) => x.group === group)) {
    byVersion.set(r.version, [...(byVersion.get(r.version) ?? []), r]);
  }
  return {
    metadata: { name: group, creationTimestamp: null },
    versions: [...byVersion.entries()].map(([version, rs]) => ({
      version,
      freshness: "Current",
      resources: rs.map((r) => ({
        resource: r.plural,
        responseKind: { group: r.group, version: r.version, kind: r.kind },
        scope: r.namespaced ? "Namespaced" : "Cluster",
        singularResource: r.singular,
        verbs: r.verbs,
        ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
        ...(r.subresources.length
          ? {
              subresources: r.subresources.map((s) => ({
                subresource: s.name,
                responseKind: { group: s.group, version: s.version, kind: s.kind },
                verbs: s.verbs,
              })),
            }
          : {}),
      })),
    })),
  };
}

/** Aggregated discovery for `/api` (core) or `/apis` (named groups). */
export function aggregatedDiscovery(core: boolean): unknown {
  const groups = [...new Set(RESOURCES.map((r) => r.group))].filter((g) => (core ? g === "" : g !== ""));
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: groups.map(aggregatedGroup),
  };
}

/** Legacy `/api`: APIVersions. */
export function legacyCoreVersions(): unknown {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1:6443" }],
  };
}

function groupEntry(group: string): unknown {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

/** Legacy `/apis`: APIGroupList. */
export function legacyGroupList(): unknown {
  const groups = [...new Set(RESOURCES.map((r) => r.group))].filter((g) => g !== "");
  return { kind: "APIGroupList", apiVersion: "v1", groups: groups.map(groupEntry) };
}

/** Legacy `/apis/GROUP`: APIGroup, or undefined when not served. */
export function legacyGroup(group: string): unknown {
  if (!RESOURCES.some((r) => r.group === group)) return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...(groupEntry(group) as object) };
}

/** Legacy `/api/v1`, `/apis/GROUP/VERSION`: APIResourceList with subresources as `pods/eviction` rows. */
export function resourceList(group: string, version: string): unknown {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const resources: unknown[] = [];
  for (const r of rs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    });
    for (const s of r.subresources) {
      resources.push({
        name: `${r.plural}/${s.name}`,
        singularName: "",
        namespaced: r.namespaced,
        ...(s.group !== r.group || s.version !== r.version ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: apiVersionOf({ group, version }),
    resources,
  };
}
