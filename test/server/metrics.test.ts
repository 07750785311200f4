import { describe, expect, it } from "vitest";
import { createMetricsRegistry } from "../../server/metrics.ts";

describe("MetricsRegistry", () => {
  it("renders the Prometheus text format: escaped labels, cumulative buckets, scrape-time gauges", async () => {
    const registry = createMetricsRegistry();
    const c = registry.counter("demo_total", "A demo counter.", ["path"]);
    c.inc({ path: 'a"b\\c\nd' });
    c.inc({ path: 'a"b\\c\nd' }, 2);
    const h = registry.histogram("demo_seconds", "A demo histogram.", [0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    registry.gauge("demo_items", "A demo gauge.", () => [{ labels: { state: "open" }, value: 4 }]);

    expect(await registry.render()).toBe(
      [
        "# HELP demo_total A demo counter.",
        "# TYPE demo_total counter",
        'demo_total{path="a\\"b\\\\c\\nd"} 3',
        "# HELP demo_seconds A demo histogram.",
        "# TYPE demo_seconds histogram",
        'demo_seconds_bucket{le="0.1"} 1',
        'demo_seconds_bucket{le="1"} 2',
        'demo_seconds_bucket{le="+Inf"} 3',
        "demo_seconds_sum 5.55",
        "demo_seconds_count 3",
        "# HELP demo_items A demo gauge.",
        "# TYPE demo_items gauge",
        'demo_items{state="open"} 4',
        "",
      ].join("\n"),
    );
  });

  it("hands back the same counter when a second part registers it again, and refuses a clash", () => {
    const registry = createMetricsRegistry();
    const a = registry.counter("x_total", "x", ["k"]);
    expect(registry.counter("x_total", "x", ["k"])).toBe(a);
    expect(() => registry.histogram("x_total", "x", [1])).toThrow(/already registered/);
    expect(() => registry.counter("bad name", "x")).toThrow(/invalid metric name/);
  });
});
