import { performance } from "node:perf_hooks";

/** What a ticker moves: a simulator on a virtual clock. */
interface Advanceable {
  advance(ms: number): void;
}

/**
 * Moves a virtual clock `speed`× real time while something real (Prometheus scraping, Alertmanager's `for:`)
 * watches it. Each tick advances by the real time that passed since the last one, so a tick that fires late on
 * a loaded machine catches up instead of slowing the simulated world down: a fixed step per tick ran the world
 * slower than `speed` under load, and alerts fired before the fault had developed. Returns the stop function.
 */
export function startSimTicker(sim: Advanceable, speed: number, tickMs = 25): () => void {
  let last = performance.now();
  let owed = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    owed += (now - last) * speed;
    last = now;
    const step = Math.floor(owed);
    owed -= step;
    if (step > 0) sim.advance(step);
  }, tickMs);
  return () => clearInterval(timer);
}
