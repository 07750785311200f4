import { describe, expect, it } from "vitest";
import {
  memorySignals,
  sampleMemory,
  type MemorySeries,
} from "../../../../agent/platforms/kubernetes/memory.ts";
import type { PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import type { PodUsage } from "../../../../tools/kubernetes/podMetrics.ts";
import type { DeploymentSnapshot } from "../../../../tools/kubernetes/rolloutHistory.ts";

const MiB = 1024 * 1024;
const LIMIT = 256 * MiB;
const T0 = Date.parse("2026-11-24T10:00:00Z");
const series = (pod: string, hash: string, mib: number[]): MemorySeries => ({
  pod,
  templateHash: hash,
  limitBytes: LIMIT,
  readings: mib.map((m, i) => ({ at: T0 + i * 15_000, bytes: m * MiB })),
});
const rollout = (newestAgeMin: number) =>
  ({
    revisions: [
      {
        revision: 2,
        templateHash: "new",
        createdAt: new Date(T0 - newestAgeMin * 60_000).toISOString(),
        images: ["app:2"],
      },
      {
        revision: 1,
        templateHash: "old",
        createdAt: new Date(T0 - 86_400_000).toISOString(),
        images: ["app:1"],
      },
    ],
  }) as unknown as DeploymentSnapshot;
const names = (s: ReturnType<typeof memorySignals>) => s.map((x) => x.name);

describe("memory over time", () => {
  it("steady growth in every pod of a young revision is a leak that came with it", () => {
    const s = memorySignals(
      [series("a", "new", [150, 154, 158]), series("b", "new", [149, 153, 157])],
      rollout(5),
      T0,
    );
    expect(names(s)).toEqual(["memory_growth", "recent_rollout"]);
    expect(s[0]!.value).toBe(16);
  });

  it("growth that also shows in the old revision's pods is real but not the release's", () => {
    const s = memorySignals(
      [series("a", "new", [150, 154, 158]), series("o", "old", [150, 154, 158])],
      rollout(5),
      T0,
    );
    expect(names(s)).toEqual(["memory_growth"]);
  });

  it("high but flat is a plateau; a cache still filling (slowing down) is neither a leak nor a plateau", () => {
    expect(names(memorySignals([series("a", "new", [216, 216, 216.5])], rollout(5), T0))).toEqual([
      "memory_plateau",
    ]);
    expect(names(memorySignals([series("a", "new", [150, 170, 172])], rollout(5), T0))).toEqual([]);
  });

  it("samples over time only when a pod already uses half its limit, through the agent's clock", async () => {
    const pod = (name: string) =>
      ({
        name,
        templateHash: "new",
        ready: true,
        deleting: false,
        containers: [{ name: "app", ready: true, restartCount: 0, memoryLimitBytes: LIMIT }],
      }) as unknown as PodSnapshot;
    let now = T0;
    const slept: number[] = [];
    const clock = { now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)) };
    const reading = (mib: number): PodUsage[] => [
      {
        pod: "a",
        timestamp: new Date(now).toISOString(),
        containers: [{ name: "app", memoryBytes: mib * MiB, cpuMillicores: 5 }],
      },
    ];
    await sampleMemory([pod("a")], async () => reading(96), clock);
    expect(slept).toEqual([]);
    let mib = 150;
    const out = await sampleMemory([pod("a")], async () => reading((mib += 4)), clock);
    expect(slept).toEqual([15_000, 15_000]);
    expect(out[0]!.readings.map((r) => r.bytes / MiB)).toEqual([154, 158, 162]);
  });
});

describe("a leak in a revision that has run for days", () => {
  const only = (ageDays: number) =>
    ({
      revisions: [
        {
          revision: 7,
          templateHash: "run",
          createdAt: new Date(T0 - ageDays * 86_400_000).toISOString(),
          images: ["app:7"],
        },
      ],
    }) as unknown as DeploymentSnapshot;

  it("growth in every pod of the only revision, days old → memory_growth and leak_long_running, no release to blame", () => {
    const s = memorySignals(
      [series("a", "run", [180, 184, 188]), series("b", "run", [181, 185, 189])],
      only(4),
      T0,
    );
    expect(names(s)).toEqual(["memory_growth", "leak_long_running"]);
    expect(s[1]!.value).toBe(4);
    expect(s[1]!.detail).toMatch(/revision 7 \(app:7\) has run for 4\.0 days/);
  });

  it("look-alikes: the same growth in a revision hours old is not long-running; flat pods days old are no leak", () => {
    expect(names(memorySignals([series("a", "run", [180, 184, 188])], only(0.2), T0))).toEqual([
      "memory_growth",
    ]);
    expect(names(memorySignals([series("a", "run", [216, 216, 216.5])], only(4), T0))).toEqual([
      "memory_plateau",
    ]);
  });
});
