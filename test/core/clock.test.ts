import { describe, expect, it } from "vitest";
import { pollUntil, type Clock } from "../../core/clock.ts";

/** A clock that moves only when waited on. */
function virtualClock(start = 1_000_000): Clock & { slept: number[] } {
  let t = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

describe("pollUntil", () => {
  it("returns as soon as the condition holds, waiting the interval between probes", async () => {
    const clock = virtualClock();
    let n = 0;
    const r = await pollUntil(
      async () => ++n,
      (v) => v === 3,
      { timeoutMs: 10_000, intervalMs: 500, clock },
    );
    expect(r).toEqual({ done: true, last: 3, attempts: 3 });
    expect(clock.slept).toEqual([500, 500]);
  });

  it("gives up at the deadline with the last value, after a last look at the deadline itself", async () => {
    const clock = virtualClock();
    const seen: number[] = [];
    const r = await pollUntil(
      async () => {
        seen.push(clock.now());
        return "still running";
      },
      (v) => v === "stopped",
      { timeoutMs: 1200, intervalMs: 500, clock },
    );
    expect(r.done).toBe(false);
    expect(r.last).toBe("still running");
    expect(clock.slept).toEqual([500, 500, 200]);
    expect(seen.at(-1)).toBe(1_000_000 + 1200);
  });

  it("probes once even with no time to wait, and a probe's error ends the poll", async () => {
    const clock = virtualClock();
    const once = await pollUntil(
      async () => 1,
      () => false,
      { timeoutMs: 0, intervalMs: 100, clock },
    );
    expect(once).toEqual({ done: false, last: 1, attempts: 1 });
    await expect(
      pollUntil(
        async () => {
          throw new Error("api down");
        },
        () => true,
        { timeoutMs: 1000, intervalMs: 100, clock },
      ),
    ).rejects.toThrow("api down");
  });
});
