import { describe, expect, it } from "vitest";
import { jsonPatch } from "../../../lab/kube-sim/http/patch/json.ts";
import { mergePatch } from "../../../lab/kube-sim/http/patch/merge.ts";
import { strategicMergePatch } from "../../../lab/kube-sim/http/patch/strategic.ts";

const deployment = {
  spec: {
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    template: {
      spec: {
        containers: [
          {
            name: "app",
            image: "img:v1",
            ports: [{ containerPort: 8080, protocol: "TCP" }],
            env: [
              { name: "A", value: "1" },
              { name: "B", value: "2" },
            ],
          },
          { name: "sidecar", image: "envoy:1" },
        ],
        volumes: [{ name: "data", emptyDir: {} }],
      },
    },
  },
};

describe("strategic merge patch", () => {
  it("merges containers by name, as kubectl set image sends it", () => {
    const out = strategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "app" }, { name: "sidecar" }],
            containers: [{ image: "img:v2", name: "app" }],
          },
        },
      },
    }) as typeof deployment;
    expect(out.spec.template.spec.containers).toEqual([
      { ...deployment.spec.template.spec.containers[0], image: "img:v2" },
      { name: "sidecar", image: "envoy:1" },
    ]);
  });

  it("deletes a list element with $patch: delete and reorders with $setElementOrder", () => {
    const out = strategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "app" }],
            containers: [{ $patch: "delete", name: "sidecar" }],
          },
        },
      },
    }) as typeof deployment;
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(["app"]);
    const reordered = strategicMergePatch(deployment, {
      spec: { template: { spec: { "$setElementOrder/containers": [{ name: "sidecar" }, { name: "app" }] } } },
    }) as typeof deployment;
    expect(reordered.spec.template.spec.containers.map((c) => c.name)).toEqual(["sidecar", "app"]);
  });

  it("merges env by name, ports by containerPort, and null deletes a key", () => {
    const out = strategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "app",
                env: [
                  { name: "B", value: "3" },
                  { name: "C", value: "4" },
                ],
                ports: [{ containerPort: 9090 }],
              },
            ],
          },
        },
      },
      metadata: { labels: null },
    }) as typeof deployment;
    const app = out.spec.template.spec.containers[0]!;
    expect(app.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "3" },
      { name: "C", value: "4" },
    ]);
    expect(app.ports?.map((p) => p.containerPort)).toEqual([8080, 9090]);
    expect(strategicMergePatch({ spec: { unschedulable: true } }, { spec: { unschedulable: null } })).toEqual(
      { spec: {} },
    );
  });

  it("honours $retainKeys (strategy type change) and $deleteFromPrimitiveList", () => {
    const out = strategicMergePatch(deployment, {
      spec: { strategy: { $retainKeys: ["type"], type: "Recreate", rollingUpdate: null } },
    }) as {
      spec: { strategy: unknown };
    };
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
    expect(
      strategicMergePatch(
        { metadata: { finalizers: ["a", "b"] } },
        { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } },
      ),
    ).toEqual({
      metadata: { finalizers: ["b"] },
    });
  });

  it("replaces a map with $patch: replace and leaves the input untouched", () => {
    const input = { data: { a: "1", b: "2" } };
    expect(strategicMergePatch(input, { data: { $patch: "replace", c: "3" } })).toEqual({ data: { c: "3" } });
    expect(input).toEqual({ data: { a: "1", b: "2" } });
  });
});

describe("merge patch and JSON patch", () => {
  it("merge patch replaces lists and deletes with null (RFC 7386)", () => {
    expect(mergePatch({ spec: { replicas: 2, x: [1, 2] } }, { spec: { replicas: 5, x: [3] } })).toEqual({
      spec: { replicas: 5, x: [3] },
    });
    expect(mergePatch({ a: { b: 1, c: 2 } }, { a: { b: null } })).toEqual({ a: { c: 2 } });
  });

  it("JSON patch applies rollout undo's replace operations and rejects a missing path", () => {
    const out = jsonPatch({ metadata: { annotations: { x: "1" } }, spec: { template: { a: 1 } } }, [
      { op: "replace", path: "/spec/template", value: { b: 2 } },
      { op: "replace", path: "/metadata/annotations", value: { y: "2" } },
      { op: "add", path: "/spec/list", value: [] },
      { op: "add", path: "/spec/list/-", value: "z" },
      { op: "test", path: "/spec/list/0", value: "z" },
    ]);
    expect(out).toEqual({ metadata: { annotations: { y: "2" } }, spec: { template: { b: 2 }, list: ["z"] } });
    expect(() => jsonPatch({}, [{ op: "replace", path: "/spec/x", value: 1 }])).toThrow(
      /does not exist|missing/,
    );
  });
});
