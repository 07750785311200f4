import { describe, expect, it } from "vitest";
import {
  errorsFromPrometheus,
  statsFromPrometheus,
  SUSTAINED_RISES,
} from "../../../agent/platforms/docker/promHistory.ts";
import { dockerSignals } from "../../../agent/platforms/docker/signals.ts";
import { usePrometheusScraping } from "../../helpers/prometheus.ts";
import { waitFor } from "../../helpers/docker.ts";

// A real Prometheus (200 ms scrapes) reading an exporter whose memory figure the test drives.
const MIB = 1024 * 1024;
const memory: Record<string, number> = { leaky: 100 * MIB, steady: 300 * MIB };
let growing = false;
/** 5xx counters: `failing` grows at every scrape while `erroring` is on; `blip` grew once, long ago. */
const served: Record<string, number> = { failing: 0, blip: 1, clean: 0 };
let erroring = false;

/** The exporter's page at each scrape (the counters the test turned on grow as they are scraped). */
function exposition(): string {
  if (growing) memory.leaky! += 8 * MIB;
  if (erroring) served.failing! += 3;
  return (
    [
      ...Object.entries(memory).map(([c, v]) => `process_resident_memory_bytes{container="${c}"} ${v}`),
      ...Object.entries(served).map(([c, v]) => `http_requests_total{container="${c}",code="500"} ${v}`),
      ...Object.keys(served).map((c) => `http_requests_total{container="${c}",code="200"} 40`),
    ].join("\n") + "\n"
  );
}
const prom = usePrometheusScraping(exposition);

describe("memory history from Prometheus instead of sampling the engine", () => {
  it("a container whose memory grows since the alert began → memory_growth from the range query, at once", async () => {
    growing = true;
    const since = Date.now();
    const stats = await waitFor(
      async () => {
        const s = await statsFromPrometheus({
          prometheusUrl: prom.url,
          container: "leaky",
          memoryLimitBytes: 2048 * MIB,
          since,
        });
        return s && s.memoryGrowthBytesPerSec > 10 * MIB ? s : undefined;
      },
      { what: "growth in Prometheus", timeoutMs: 15_000, intervalMs: 250 },
    );
    growing = false;
    expect(stats.samples).toHaveLength(3);
    const snapshot = {
      state: { running: true, restarting: false, exitCode: 0, startedAt: new Date(0).toISOString() },
      restartCount: 0,
    };
    const signals = dockerSignals({ snapshot: snapshot as never, stats });
    expect(signals.map((s) => s.name)).toContain("memory_growth");
  });

  it("look-alikes: a flat working set shows no growth; a container Prometheus does not know falls back (undefined)", async () => {
    // Prometheus has scraped both for seconds by now (the test above waited for the growth).
    const flat = await statsFromPrometheus({
      prometheusUrl: prom.url,
      container: "steady",
      memoryLimitBytes: 512 * MIB,
      since: Date.now() - 5000,
    });
    // A value that never changes gives one distinct reading: no trend to judge, the engine is asked instead.
    expect(flat).toBeUndefined();
    expect(
      await statsFromPrometheus({ prometheusUrl: prom.url, container: "absent", memoryLimitBytes: 0 }),
    ).toBeUndefined();
  });
});

describe("server errors from Prometheus instead of probing again", () => {
  it("errors that grew at several scrapes since the alert began are sustained; a flat counter is not", async () => {
    erroring = true;
    const since = Date.now();
    const failing = await waitFor(
      async () => {
        const h = await errorsFromPrometheus({ prometheusUrl: prom.url, container: "failing", since });
        return h && h.rises >= SUSTAINED_RISES ? h : undefined;
      },
      { what: "errors in Prometheus", timeoutMs: 15_000, intervalMs: 250 },
    );
    erroring = false;
    expect(failing.errors).toBeGreaterThanOrEqual(3 * SUSTAINED_RISES);
    // The same window for a counter that has not moved (one error before it, none since), and one with no errors.
    for (const container of ["blip", "clean"]) {
      const h = await errorsFromPrometheus({ prometheusUrl: prom.url, container, since });
      expect(h).toEqual({ rises: 0, errors: 0, windowMs: expect.any(Number) });
    }
    expect(
      await errorsFromPrometheus({ prometheusUrl: prom.url, container: "absent", since }),
    ).toBeUndefined();
  });
});
