import { afterEach, describe, expect, it } from "vitest";
import { MetricHistory } from "../../../../evals/harness/metricHistory.ts";
import { startFakePrometheus, type FakePrometheus } from "../../../../evals/harness/fakePrometheus.ts";
import { meshCallees } from "../../../../agent/platforms/kubernetes/observers/meshCallees.ts";
import type { ObserverDeps } from "../../../../agent/platforms/kubernetes/observers/deps.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const T0 = Date.parse("2026-12-07T12:00:00Z");
const web = k8sWorkload("web");
let prom: FakePrometheus | undefined;
afterEach(async () => {
  await prom?.stop();
  prom = undefined;
});

/** Ten scrapes, 15 s apart, of request counters growing at the given rates per second. */
async function promWith(series: Array<[string, number]>): Promise<ObserverDeps> {
  const h = new MetricHistory();
  for (let i = 0; i < 10; i++)
    h.record("mesh", T0 + i * 15_000, series.map(([s, rate]) => `${s} ${rate * i * 15}`).join("\n"));
  prom = await startFakePrometheus(h, () => T0 + 9 * 15_000);
  return { kube: {} as ObserverDeps["kube"], tools: {} as ObserverDeps["tools"], prometheusUrl: prom.url };
}

describe("the services a workload calls, from its service mesh's request metrics (no policy `calls`)", () => {
  it("Istio: the client proxy's istio_requests_total by destination Service, busiest first", async () => {
    const deps = await promWith([
      [
        'istio_requests_total{reporter="source",source_workload="web",source_workload_namespace="shop",destination_service_name="cart",destination_service_namespace="shop",response_code="200"}',
        2,
      ],
      [
        'istio_requests_total{reporter="source",source_workload="web",source_workload_namespace="shop",destination_service_name="payments",destination_service_namespace="pay",response_code="200"}',
        9,
      ],
      // The server side's report of the same calls, and another client's calls: not web's callees.
      [
        'istio_requests_total{reporter="destination",source_workload="web",source_workload_namespace="shop",destination_service_name="search",destination_service_namespace="shop",response_code="200"}',
        5,
      ],
      [
        'istio_requests_total{reporter="source",source_workload="admin",source_workload_namespace="shop",destination_service_name="audit",destination_service_namespace="shop",response_code="200"}',
        5,
      ],
    ]);
    expect(await meshCallees(deps, web, [])).toEqual(["payments.pay", "cart.shop"]);
  });

  it("Linkerd: outbound request_total of the client's deployment by dst_service", async () => {
    const deps = await promWith([
      [
        'request_total{direction="outbound",deployment="web",namespace="shop",dst_service="checkout",dst_namespace="shop"}',
        3,
      ],
      ['request_total{direction="inbound",deployment="web",namespace="shop"}', 30],
    ]);
    expect(await meshCallees(deps, web, [])).toEqual(["checkout.shop"]);
  });

  it("look-alikes: no mesh metrics → none, and no error; without Prometheus nothing is read", async () => {
    const deps = await promWith([['http_requests_total{namespace="shop",pod="web-1",code="200"}', 10]]);
    const errors: string[] = [];
    expect(await meshCallees(deps, web, errors)).toEqual([]);
    expect(errors).toEqual([]);
    expect(await meshCallees({ ...deps, prometheusUrl: undefined }, web, [])).toEqual([]);
  });
});
