import type { V1PodTemplateSpec } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { revisionSignals } from "../../../../agent/platforms/kubernetes/revisionDiff.ts";
import type { WorkloadObservations } from "../../../../agent/platforms/kubernetes/signals.ts";
import type { PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import type { RevisionSnapshot } from "../../../../tools/kubernetes/rolloutHistory.ts";

const NOW = Date.parse("2026-12-07T12:00:00Z");
const template = (
  image: string,
  extra: Partial<NonNullable<V1PodTemplateSpec["spec"]>> = {},
): V1PodTemplateSpec => ({
  spec: { containers: [{ name: "app", image }], ...extra },
});
const revision = (n: number, hash: string, t: V1PodTemplateSpec): RevisionSnapshot => ({
  name: `api-${hash}`,
  revision: n,
  templateHash: hash,
  replicas: 1,
  readyReplicas: 0,
  createdAt: new Date(NOW - (n === 2 ? 5 : 600) * 60_000).toISOString(),
  images: (t.spec?.containers ?? []).map((c) => c.image ?? ""),
  template: t,
});
const pod = (
  name: string,
  hash: string,
  over: Partial<PodSnapshot> = {},
  waiting?: { reason: string; message: string },
): PodSnapshot => ({
  name,
  namespace: "shop",
  uid: name,
  node: "n1",
  phase: "Running",
  ready: !waiting,
  createdAt: null,
  deleting: false,
  ownerKind: "ReplicaSet",
  ownerName: `api-${hash}`,
  templateHash: hash,
  containers: [{ name: "app", ready: !waiting, restartCount: 0, ...(waiting ? { waiting } : {}) }],
  ...over,
});
function observe(
  before: V1PodTemplateSpec,
  after: V1PodTemplateSpec,
  pods: PodSnapshot[],
  events: WorkloadObservations["events"] = [],
): WorkloadObservations {
  return {
    pods,
    logs: {},
    events,
    rollout: {
      name: "api",
      namespace: "shop",
      uid: "u",
      replicas: 2,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
      generation: 2,
      observedGeneration: 2,
      revision: 2,
      selector: "app=api",
      conditions: [],
      revisions: [revision(2, "new", after), revision(1, "old", before)],
    },
  };
}
const secretEnv = (name: string, key: string) => ({
  containers: [
    { name: "app", image: "api:1", env: [{ name: "K", valueFrom: { secretKeyRef: { name, key } } }] },
  ],
});

describe("revisionSignals: what only the newest revision introduced", () => {
  it("an image the previous revision did not use, which cannot be pulled", () => {
    const obs = observe(template("api:1"), template("api:2-typo"), [
      pod("api-old-1", "old"),
      pod("api-new-1", "new", {}, { reason: "ImagePullBackOff", message: "Back-off pulling image" }),
    ]);
    const [s] = revisionSignals(obs, NOW);
    expect(s?.name).toBe("revision_introduced");
    expect(s?.detail).toMatch(
      /introduced image api:2-typo, which cannot be pulled \(ImagePullBackOff\); 1 pod\(s\) of revision 1 still serve Ready/,
    );
  });

  it("a Secret key only the new revision reads", () => {
    const obs = observe(
      template("api:1", secretEnv("db", "user")),
      template("api:1", secretEnv("db", "password")),
      [
        pod("api-old-1", "old"),
        pod(
          "api-new-1",
          "new",
          {},
          { reason: "CreateContainerConfigError", message: "couldn't find key password in Secret shop/db" },
        ),
      ],
    );
    expect(revisionSignals(obs, NOW)[0]?.detail).toMatch(
      /introduced a reference to key password of Secret db/,
    );
  });

  it("look-alike: a Secret both revisions read is missing → not the new revision's fault", () => {
    const both = template("api:1", secretEnv("db", "user"));
    const obs = observe(both, { ...both, metadata: { labels: { v: "2" } } }, [
      pod("api-new-1", "new", {}, { reason: "CreateContainerConfigError", message: 'secret "db" not found' }),
    ]);
    expect(revisionSignals(obs, NOW)).toEqual([]);
  });

  it("a probe the new revision changed and its pods fail", () => {
    const probe = (path: string) => ({ httpGet: { path, port: 8080 } });
    const obs = observe(
      template("api:1", { containers: [{ name: "app", image: "api:1", readinessProbe: probe("/healthz") }] }),
      template("api:1", { containers: [{ name: "app", image: "api:1", readinessProbe: probe("/ready") }] }),
      [pod("api-old-1", "old"), pod("api-new-1", "new", { ready: false })],
      [
        {
          type: "Warning",
          reason: "Unhealthy",
          message: "Readiness probe failed: HTTP probe failed with statuscode: 404",
          count: 5,
          object: "Pod/api-new-1",
          last: null,
        },
      ],
    );
    expect(revisionSignals(obs, NOW)[0]?.detail).toMatch(/changed its probes and its pods fail them/);
  });

  it("look-alike: unchanged probes failing (the app itself, not the release's spec) → nothing", () => {
    const same = template("api:1", {
      containers: [
        { name: "app", image: "api:1", readinessProbe: { httpGet: { path: "/healthz", port: 8080 } } },
      ],
    });
    const obs = observe(
      same,
      { ...same, metadata: { annotations: { restartedAt: "x" } } },
      [pod("api-new-1", "new", { ready: false })],
      [
        {
          type: "Warning",
          reason: "Unhealthy",
          message: "Readiness probe failed",
          count: 5,
          object: "Pod/api-new-1",
          last: null,
        },
      ],
    );
    expect(revisionSignals(obs, NOW)).toEqual([]);
  });

  it("a single revision has nothing to compare with", () => {
    const obs = observe(template("api:1"), template("api:2"), [
      pod("api-new-1", "new", {}, { reason: "ErrImagePull", message: "" }),
    ]);
    obs.rollout!.revisions = obs.rollout!.revisions.slice(0, 1);
    expect(revisionSignals(obs, NOW)).toEqual([]);
  });
});
