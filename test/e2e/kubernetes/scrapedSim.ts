import { afterEach } from "vitest";
import type { KubeSim } from "@aegisops/kube-sim";
import { startPrometheus, type TestPrometheus } from "../../helpers/prometheus.ts";
import { startSimTicker } from "../../helpers/simTicker.ts";

/**
 * A simulator on a virtual clock that a ticker moves `speed`× real time while a real Prometheus scrapes it;
 * the ticker, Prometheus and the simulator stop after each test. `keep` takes the started simulator (so a
 * failing warm-up still stops it), `scrape` starts the ticker and Prometheus.
 */
export function useScrapedSim({ speed = 10, tickMs = 25 }: { speed?: number; tickMs?: number } = {}) {
  let sim: KubeSim | undefined;
  let prom: TestPrometheus | undefined;
  let stopTicker: (() => void) | undefined;
  afterEach(async () => {
    stopTicker?.();
    await prom?.stop();
    await sim?.stop();
    [sim, prom, stopTicker] = [undefined, undefined, undefined];
  });
  return {
    keep(started: KubeSim): KubeSim {
      sim = started;
      return started;
    },
    async scrape(): Promise<TestPrometheus> {
      const s = sim;
      if (!s) throw new Error("useScrapedSim: keep(sim) first");
      stopTicker = startSimTicker(s, speed, tickMs);
      prom = await startPrometheus([new URL(s.url).host]);
      return prom;
    },
  };
}
