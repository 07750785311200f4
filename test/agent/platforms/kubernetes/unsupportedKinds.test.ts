import { describe, expect, it } from "vitest";
import { rolloutStatusText } from "../../../../agent/platforms/kubernetes/unsupportedKinds.ts";

describe("the escalation of a StatefulSet or DaemonSet says how its rollout stands", () => {
  it("a DaemonSet whose new template's rollout stopped with a pod not Ready names the undo", () => {
    expect(
      rolloutStatusText({
        kind: "DaemonSet",
        metadata: { name: "example" },
        status: {
          desiredNumberScheduled: 3,
          numberReady: 2,
          updatedNumberScheduled: 1,
          currentNumberScheduled: 3,
          numberMisscheduled: 0,
        },
      }),
    ).toBe(
      "3 desired, 2 Ready, 1 on the newest template: the rollout of the newest template stopped with 1 pod(s) not Ready; if the new template is at fault, `kubectl rollout undo daemonset/example` restores the previous one",
    );
  });

  /** A StatefulSet of 3 replicas with these Ready and updated pods, on these current and update revisions. */
  const sts = (ready: number, updated: number, current: string, update: string) =>
    rolloutStatusText({
      kind: "StatefulSet",
      metadata: { name: "db" },
      spec: { replicas: 3, selector: {}, serviceName: "db", template: {} },
      status: {
        replicas: 3,
        readyReplicas: ready,
        updatedReplicas: updated,
        currentRevision: current,
        updateRevision: update,
      },
    });

  it("a StatefulSet mid-way through a revision with a pod not Ready; look-alike: all Ready on one revision", () => {
    expect(sts(2, 1, "db-a", "db-b")).toMatch(
      /^3 desired, 2 Ready, 1 on the newest revision: the rollout of revision db-b stopped .*rollout undo statefulset\/db/,
    );
    expect(sts(3, 3, "db-b", "db-b")).toBe("3 desired, 3 Ready, 3 on the newest revision");
  });
});
