import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeSim, RESOURCES, apiVersionOf } from "@aegisops/kube-sim";
import { getJson, settled, startFastSim, waitFor } from "./helpers.ts";

const AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

let sim: KubeSim;
beforeAll(async () => {
  sim = await startFastSim();
  await settled(sim);
});
afterAll(async () => {
  await sim.stop();
});

/** A JSON answer: an object (metadata read by the tests) or a Status. */
type Answer = { metadata: { generation: number; resourceVersion: string } } & Record<string, unknown>;

const send = (method: string, path: string, body: unknown, contentType = "application/json") =>
  fetch(sim.url + path, {
    method,
    headers: { "Content-Type": contentType, Authorization: `Bearer ${sim.adminToken}` },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Answer }));

/** Reads a watch response's newline-delimited JSON events into `onEvent` until the stream ends or is aborted. */
function readWatch(res: Response, onEvent: (event: unknown) => void): Promise<void> {
  const reader = res.body!.getReader();
  let buf = "";
  return (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += Buffer.from(value).toString("utf8");
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        onEvent(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    }
  })().catch(() => undefined);
}

describe("discovery and OpenAPI", () => {
  it("serves aggregated discovery with the exact content type, responseKind and shortNames", async () => {
    const apis = await getJson(sim, "/apis", AGG);
    expect(apis.headers.get("content-type")).toBe(
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    );
    const groups = apis.body.items as {
      metadata: { name: string };
      versions: { resources: { resource: string; shortNames?: string[]; responseKind: unknown }[] }[];
    }[];
    expect(groups.map((g) => g.metadata.name).sort()).toEqual([
      "apps",
      "autoscaling",
      "batch",
      "chaos-mesh.org",
      "coordination.k8s.io",
      "discovery.k8s.io",
      "metrics.k8s.io",
      "networking.k8s.io",
      "policy",
      "rbac.authorization.k8s.io",
      "scheduling.k8s.io",
      "storage.k8s.io",
    ]);
    const deploy = groups
      .find((g) => g.metadata.name === "apps")!
      .versions[0]!.resources.find((r) => r.resource === "deployments")!;
    expect(deploy.shortNames).toEqual(["deploy"]);
    expect(deploy.responseKind).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
    const core = await getJson(sim, "/api", AGG);
    expect((core.body.items as { metadata: { name: string } }[])[0]!.metadata.name).toBe("");
  });

  it("serves legacy discovery, with pods/eviction in /api/v1 as policy/v1 Eviction", async () => {
    const v1 = await getJson(sim, "/api/v1", "application/json, */*");
    const eviction = (
      v1.body.resources as { name: string; group?: string; version?: string; kind: string }[]
    ).find((r) => r.name === "pods/eviction");
    expect(eviction).toMatchObject({ group: "policy", version: "v1", kind: "Eviction" });
    expect((await getJson(sim, "/apis")).body.kind).toBe("APIGroupList");
    expect((await getJson(sim, "/api")).body.kind).toBe("APIVersions");
  });

  it("indexes an OpenAPI v3 document per served group/version with a patch operation per kind", async () => {
    const index = (await getJson(sim, "/openapi/v3")).body.paths as Record<
      string,
      { serverRelativeURL: string }
    >;
    const gvs = [...new Set(RESOURCES.map((r) => apiVersionOf(r)))];
    expect(Object.keys(index).sort()).toEqual(
      gvs.map((gv) => (gv === "v1" ? "api/v1" : `apis/${gv}`)).sort(),
    );
    const doc = (await getJson(sim, index["apis/apps/v1"]!.serverRelativeURL)).body.paths as Record<
      string,
      { patch: { "x-kubernetes-group-version-kind": unknown; parameters: { name: string }[] } }
    >;
    const op = doc["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!.patch;
    expect(op["x-kubernetes-group-version-kind"]).toEqual({
      group: "apps",
      version: "v1",
      kind: "Deployment",
    });
    expect(op.parameters.map((p) => p.name)).toContain("fieldValidation");
    expect((await getJson(sim, "/openapi/v2")).status).toBe(404);
  });
});

describe("REST semantics", () => {
  it("answers Status errors with the right codes and reasons", async () => {
    const missing = await getJson(sim, "/apis/apps/v1/namespaces/shop/deployments/nope");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "NotFound",
      code: 404,
      message: 'deployments.apps "nope" not found',
    });
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dup" }, data: { a: "1" } };
    expect((await send("POST", "/api/v1/namespaces/shop/configmaps", cm)).status).toBe(201);
    const again = await send("POST", "/api/v1/namespaces/shop/configmaps", cm);
    expect(again).toMatchObject({ status: 409, body: { reason: "AlreadyExists" } });
    const stale = await send("PUT", "/api/v1/namespaces/shop/configmaps/dup", {
      ...cm,
      metadata: { name: "dup", resourceVersion: "1" },
    });
    expect(stale).toMatchObject({ status: 409, body: { reason: "Conflict" } });
    const badType = await send("PATCH", "/api/v1/namespaces/shop/configmaps/dup", {}, "text/plain");
    expect(badType.status).toBe(415);
    const noNs = await send("POST", "/api/v1/namespaces/ghost/configmaps", cm);
    expect(noNs).toMatchObject({ status: 404, body: { message: 'namespaces "ghost" not found' } });
  });

  it("bumps resourceVersion on every write and generation only on spec changes", async () => {
    const before = (await getJson(sim, "/apis/apps/v1/namespaces/shop/deployments/checkout")).body as {
      metadata: { generation: number; resourceVersion: string };
    };
    const labelled = await send(
      "PATCH",
      "/apis/apps/v1/namespaces/shop/deployments/checkout",
      { metadata: { labels: { team: "pay" } } },
      "application/merge-patch+json",
    );
    expect(labelled.body.metadata.generation).toBe(before.metadata.generation);
    expect(Number(labelled.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(before.metadata.resourceVersion),
    );
    const scaled = await send(
      "PATCH",
      "/apis/apps/v1/namespaces/shop/deployments/checkout",
      { spec: { replicas: 3 } },
      "application/merge-patch+json",
    );
    expect(scaled.body.metadata.generation).toBe(before.metadata.generation + 1);
    await waitFor(async () => {
      const d = (await getJson(sim, "/apis/apps/v1/namespaces/shop/deployments/checkout")).body as {
        metadata: { generation: number };
        status: { observedGeneration: number; availableReplicas: number };
      };
      return d.status.observedGeneration === d.metadata.generation && d.status.availableReplicas === 3;
    }, "checkout to observe generation and scale to 3");
  });

  it("filters lists by label and field selectors, and lists across namespaces", async () => {
    const byLabel = await getJson(sim, "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb");
    expect((byLabel.body.items as unknown[]).length).toBe(3);
    expect(byLabel.body).toMatchObject({ kind: "PodList", apiVersion: "v1" });
    const setBased = await getJson(
      sim,
      "/api/v1/pods?labelSelector=app%20in%20(web,checkout),app!%3Dcheckout",
    );
    expect(
      (setBased.body.items as { metadata: { labels: { app: string } } }[]).every(
        (p) => p.metadata.labels.app === "web",
      ),
    ).toBe(true);
    const node = "sim-node-1";
    const onNode = await getJson(sim, `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`);
    const items = onNode.body.items as { spec: { nodeName: string }; metadata: { namespace: string } }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((p) => p.spec.nodeName === node)).toBe(true);
    expect(new Set(items.map((p) => p.metadata.namespace))).toEqual(new Set(["kube-system", "shop"]));
  });

  it("returns Tables with the real columns and object metadata per row", async () => {
    const t = await getJson(sim, "/api/v1/namespaces/shop/pods", TABLE);
    expect(t.body.kind).toBe("Table");
    const cols = (t.body.columnDefinitions as { name: string; priority: number }[])
      .filter((c) => c.priority === 0)
      .map((c) => c.name);
    expect(cols).toEqual(["Name", "Ready", "Status", "Restarts", "Age"]);
    const row = (
      t.body.rows as { cells: unknown[]; object: { kind: string; metadata: { namespace: string } } }[]
    )[0]!;
    expect(row.object).toMatchObject({ kind: "PartialObjectMetadata", metadata: { namespace: "shop" } });
    const d = await getJson(sim, "/apis/apps/v1/namespaces/shop/deployments/web", TABLE);
    expect((d.body.rows as { cells: unknown[] }[])[0]!.cells.slice(0, 4)).toEqual(["web", "3/3", 3, 3]);
  });

  it("streams watch events with selectors: flushed headers, then ADDED/MODIFIED/DELETED lines", async () => {
    const ac = new AbortController();
    const res = await fetch(
      `${sim.url}/api/v1/namespaces/shop/configmaps?watch=true&fieldSelector=metadata.name%3Dwatched&timeoutSeconds=30`,
      {
        headers: { Authorization: `Bearer ${sim.adminToken}` },
        signal: ac.signal,
      },
    );
    expect(res.status).toBe(200);
    const seen: { type: string; object: { metadata: { name: string }; data?: Record<string, string> } }[] =
      [];
    const pump = readWatch(res, (e) => seen.push(e as (typeof seen)[number]));
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "watched" }, data: { v: "1" } };
    await send("POST", "/api/v1/namespaces/shop/configmaps", { ...cm, metadata: { name: "other" } });
    await send("POST", "/api/v1/namespaces/shop/configmaps", cm);
    await send(
      "PATCH",
      "/api/v1/namespaces/shop/configmaps/watched",
      { data: { v: "2" } },
      "application/strategic-merge-patch+json",
    );
    await fetch(`${sim.url}/api/v1/namespaces/shop/configmaps/watched`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${sim.adminToken}` },
    });
    await waitFor(() => seen.length >= 3, "three watch events");
    expect(seen.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    expect(seen.every((e) => e.object.metadata.name === "watched")).toBe(true);
    expect(seen[1]!.object.data).toEqual({ v: "2" });
    ac.abort();
    await pump;
  });

  it("turns an object that stops or starts matching a label selector into DELETED / ADDED", async () => {
    const ac = new AbortController();
    const res = await fetch(
      `${sim.url}/api/v1/namespaces/shop/configmaps?watch=true&labelSelector=tier%3Dfront`,
      {
        headers: { Authorization: `Bearer ${sim.adminToken}` },
        signal: ac.signal,
      },
    );
    const types: string[] = [];
    const pump = readWatch(res, (e) => types.push((e as { type: string }).type));
    await send("POST", "/api/v1/namespaces/shop/configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "moving", labels: { tier: "back" } },
    });
    const path = "/api/v1/namespaces/shop/configmaps/moving";
    await send("PATCH", path, { metadata: { labels: { tier: "front" } } }, "application/merge-patch+json");
    await send("PATCH", path, { data: { a: "1" } }, "application/merge-patch+json");
    await send("PATCH", path, { metadata: { labels: { tier: "back" } } }, "application/merge-patch+json");
    await waitFor(() => types.length >= 3, "three events");
    expect(types).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    ac.abort();
    await pump;
  });

  it("serves the scale subresource as autoscaling/v1 Scale with a selector string", async () => {
    const scale = await send(
      "PATCH",
      "/apis/apps/v1/namespaces/shop/deployments/web/scale",
      { spec: { replicas: 3 } },
      "application/merge-patch+json",
    );
    expect(scale.body).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      spec: { replicas: 3 },
      status: { selector: "app=web" },
    });
  });
});
