import type { V1Endpoints, V1PodTemplateSpec, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { serviceRoutingSignals } from "../../../../agent/platforms/kubernetes/serviceRouting.ts";

const template: V1PodTemplateSpec = {
  metadata: { labels: { app: "web", tier: "front" } },
  spec: {
    containers: [{ name: "app", image: "acme/web:1", ports: [{ containerPort: 8080, name: "http" }] }],
  },
};
const svc = (
  name: string,
  selector: Record<string, string>,
  targetPort: number | string = 8080,
): V1Service => ({
  metadata: { name },
  spec: { selector, ports: [{ port: 80, targetPort: targetPort as never }] },
});
const ep = (ready: number, notReady = 0): V1Endpoints => ({
  subsets: [
    {
      addresses: Array.from({ length: ready }, (_, i) => ({ ip: `10.0.0.${i + 1}` })),
      notReadyAddresses: Array.from({ length: notReady }, (_, i) => ({ ip: `10.0.1.${i + 1}` })),
    },
  ],
});
const judge = (services: Array<{ service: V1Service; endpoints: V1Endpoints | undefined }>) =>
  serviceRoutingSignals({ workload: "web", template, readyPods: 3, services });

describe("a Service that routes nowhere", () => {
  it("the workload's Service with a selector its pods do not carry, and no endpoints → service_misrouted with the diff", () => {
    const [s] = judge([{ service: svc("web", { app: "web-v2", tier: "front" }), endpoints: ep(0) }]);
    expect(s?.name).toBe("service_misrouted");
    expect(s?.detail).toMatch(/selector wants app=web-v2 \(the pods carry app=web\)/);
    expect(s?.detail).toMatch(/no catalog action edits a Service/);
  });

  it("a Service that selects the pods at a targetPort no container declares → service_misrouted naming the ports", () => {
    const [s] = judge([{ service: svc("frontend", { app: "web" }, 9090), endpoints: ep(3) }]);
    expect(s?.detail).toMatch(/targetPort 9090 is no port their containers declare \(8080 \(http\)\)/);
    expect(judge([{ service: svc("frontend", { app: "web" }, "http"), endpoints: ep(3) }])).toEqual([]);
  });

  it("look-alikes: another workload's Service sharing a label, a Service that still has endpoints, no declared ports", () => {
    // app=shop is shared, but the Service selects other pods (it has addresses): not this workload's.
    expect(judge([{ service: svc("api", { app: "web", tier: "back" }), endpoints: ep(0, 2) }])).toEqual([]);
    expect(judge([{ service: svc("web", { app: "web-v2" }), endpoints: ep(2) }])).toEqual([]);
    const bare = { ...template, spec: { containers: [{ name: "app", image: "acme/web:1" }] } };
    expect(
      serviceRoutingSignals({
        workload: "web",
        template: bare,
        readyPods: 3,
        services: [{ service: svc("web", { app: "web" }, 9090), endpoints: ep(3) }],
      }),
    ).toEqual([]);
    // No pod Ready: a Service without endpoints is then a symptom of the pods, not of the Service.
    expect(
      serviceRoutingSignals({
        workload: "web",
        template,
        readyPods: 0,
        services: [{ service: svc("web", { app: "x" }), endpoints: ep(0) }],
      }),
    ).toEqual([]);
  });
});
