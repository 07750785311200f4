import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { waitFor } from "./docker.ts";
import { startPrometheus, type TestPrometheus } from "./prometheus.ts";

/** A failing `checkout` service scraped by a real Prometheus, and a policy file that names its two SLOs. */
export interface BurningCheckout {
  prom: TestPrometheus;
  /** The policy file (in the caller's directory) with the availability and latency SLOs of `checkout`. */
  policy: string;
  stop(): Promise<void>;
}

/**
 * A service whose counters say 2 % of its requests fail (20× what a 99.9 % objective allows) and 0.05 % are
 * slower than 150 ms (half the latency budget's rate), scraped by a real Prometheus until every window has
 * two samples; the policy written to `dir` names both SLOs.
 */
export async function startBurningCheckout(dir: string): Promise<BurningCheckout> {
  let total = 0;
  const target = createServer((_req, res) => {
    total += 10_000;
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(
      [
        `http_requests_total{service="checkout",code="200"} ${total * 0.98}`,
        `http_requests_total{service="checkout",code="500"} ${total * 0.02}`,
        `http_request_duration_seconds_bucket{service="checkout",le="0.15"} ${total * 0.9995}`,
        `http_request_duration_seconds_count{service="checkout"} ${total}`,
        "",
      ].join("\n"),
    );
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  const stopTarget = () => new Promise<void>((r) => target.close(() => r()));
  let prom: TestPrometheus;
  try {
    prom = await startPrometheus([`127.0.0.1:${(target.address() as AddressInfo).port}`]);
  } catch (err) {
    await stopTarget();
    throw err;
  }
  const stop = async () => {
    await prom.stop();
    await stopTarget();
  };
  try {
    // rate() needs two samples in every window.
    await waitFor(
      async () => {
        const q = encodeURIComponent("sum(rate(http_requests_total[5m]))");
        const body = (await (await fetch(`${prom.url}/api/v1/query?query=${q}`)).json()) as {
          data: { result: unknown[] };
        };
        return body.data.result.length > 0;
      },
      { what: "rates in Prometheus" },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    [
      "slos:",
      "  checkout:",
      "    availability:",
      "      objective: 99.9",
      `      errorRatio: 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[$window])) / sum(rate(http_requests_total{service="checkout"}[$window]))'`,
      "    latency:",
      "      thresholdMs: 150",
      `      slowRatio: '1 - sum(rate(http_request_duration_seconds_bucket{service="checkout",le="0.15"}[$window])) / sum(rate(http_request_duration_seconds_count{service="checkout"}[$window]))'`,
      "",
    ].join("\n"),
  );
  return { prom, policy, stop };
}
