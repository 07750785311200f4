import { describe, expect, it } from "vitest";
import { recentWindow } from "../../../agent/platforms/recentWindow.ts";

describe("recentWindow: an alert expression re-read over the last two minutes after an action", () => {
  it("shortens the window of a rate, a quantile's rate and a level over time", () => {
    expect(
      recentWindow(
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5",
      ),
    ).toBe("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[120s]))) > 0.5");
    expect(recentWindow('sum(rate(x_total{code=~"5.."}[10m])) / sum(rate(x_total[10m])) > 0.05')).toBe(
      'sum(rate(x_total{code=~"5.."}[120s])) / sum(rate(x_total[120s])) > 0.05',
    );
    expect(recentWindow("avg_over_time(up[1h]) < 0.9")).toBe("avg_over_time(up[120s]) < 0.9");
  });

  it("reads an increase as the recent rate over the rule's own window", () => {
    expect(recentWindow("increase(kube_pod_container_status_restarts_total[1h]) > 3")).toBe(
      "(rate(kube_pod_container_status_restarts_total[120s]) * 3600) > 3",
    );
  });

  it("leaves absolute counts, short windows, subqueries and unparsable text as written", () => {
    for (const expr of [
      "sum_over_time(errors[10m]) > 100",
      "changes(kube_pod_status_ready[15m]) > 4",
      "rate(x_total[1m]) > 1",
      "max_over_time(rate(x_total[1m])[10m:1m]) > 1",
      "rate(x_total[5m]",
      'up{job="a[5m]"} == 0',
    ])
      expect(recentWindow(expr)).toBe(expr);
  });
});
