import { describe, expect, it } from "vitest";
import { stuckPodSignals } from "../../../../agent/platforms/kubernetes/stuckPods.ts";
import type { WorkloadObservations } from "../../../../agent/platforms/kubernetes/signals.ts";
import type { PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import { podSnapshot } from "../../../helpers/kubeSnapshots.ts";

const pod = (name: string, o: Partial<PodSnapshot> = {}): PodSnapshot =>
  podSnapshot(name, {
    containers: [{ name: "app", ready: true, restartCount: 0, runningSince: "2026-12-02T10:00:05.000Z" }],
    ...o,
  });
const probe = (podName: string, message: string) => ({
  type: "Warning",
  reason: "Unhealthy",
  message,
  count: 4,
  object: `Pod/${podName}`,
  last: "2026-12-02T10:05:00.000Z",
});
const names = (obs: WorkloadObservations) => stuckPodSignals(obs).map((s) => [s.name, s.value]);

describe("stuckPodSignals", () => {
  it("a running, unready pod whose probes time out is hung", () => {
    const obs: WorkloadObservations = {
      pods: [pod("web-1"), pod("web-2", { ready: false })],
      logs: {},
      events: [
        probe(
          "web-2",
          'Readiness probe failed: Get "http://10.0.0.2:8080/healthz": context deadline exceeded',
        ),
      ],
    };
    expect(names(obs)).toEqual([["health_timeout", "web-2"]]);
  });

  it("look-alike: a probe refused (the process is starting or gone) is not a hang", () => {
    const obs: WorkloadObservations = {
      pods: [pod("web-2", { ready: false })],
      logs: {},
      events: [
        probe("web-2", 'Readiness probe failed: Get "http://10.0.0.2:8080/healthz": connection refused'),
      ],
    };
    expect(names(obs)).toEqual([]);
  });

  it("a pod still Terminating after its grace period is stuck; one inside it is not", () => {
    const past = pod("web-3", { deleting: true, deletionDeadline: "2026-12-02T10:01:00.000Z" });
    const fresh = pod("web-4", { deleting: true, deletionDeadline: "2026-12-02T11:00:00.000Z" });
    const events = [probe("web-1", "Readiness probe failed: HTTP probe failed with statuscode: 200")];
    expect(names({ pods: [pod("web-1"), past], logs: {}, events })).toEqual([["stuck_terminating", "web-3"]]);
    expect(names({ pods: [pod("web-1"), fresh], logs: {}, events })).toEqual([]);
  });
});
