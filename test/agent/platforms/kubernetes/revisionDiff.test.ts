import type { V1PodTemplateSpec } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  hostOf,
  neverReturns,
  revisionSignals,
} from "../../../../agent/platforms/kubernetes/revisionDiff.ts";
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

describe("revisionSignals: env, init containers and readiness the newest revision changed", () => {
  const withEnv = (value: string) => ({
    containers: [{ name: "app", image: "api:1", env: [{ name: "DB_POOL", value }] }],
  });
  const crashing = (name: string) =>
    pod(name, "new", {
      ready: false,
      containers: [
        {
          name: "app",
          ready: false,
          restartCount: 4,
          waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" },
          lastTerminated: { reason: "Error", exitCode: 1, finishedAt: null },
        },
      ],
    });

  it("an env var it changed, then its pods crash, while the previous revision serves → revision_introduced naming it", () => {
    const obs = observe(template("api:1", withEnv("10")), template("api:1", withEnv("-1")), [
      pod("api-old-1", "old"),
      crashing("api-new-1"),
    ]);
    const [s] = revisionSignals(obs, NOW);
    expect(s?.name).toBe("revision_introduced");
    expect(s?.detail).toMatch(
      /changed environment variable\(s\) DB_POOL and its pods fail \(CrashLoopBackOff/,
    );
  });

  it("look-alikes: the same env change with pods that run fine; a crash with no env change and no other diff", () => {
    const fine = observe(template("api:1", withEnv("10")), template("api:1", withEnv("20")), [
      pod("api-old-1", "old"),
      pod("api-new-1", "new"),
    ]);
    expect(revisionSignals(fine, NOW)).toEqual([]);
    const same = observe(template("api:1", withEnv("10")), template("api:1", withEnv("10")), [
      pod("api-old-1", "old"),
      crashing("api-new-1"),
    ]);
    expect(revisionSignals(same, NOW)).toEqual([]);
  });

  it("look-alike: an env change while a Secret both revisions read is missing → not blamed on the env change", () => {
    const obs = observe(template("api:1", withEnv("10")), template("api:1", withEnv("-1")), [
      pod("api-old-1", "old"),
      pod(
        "api-new-1",
        "new",
        {},
        { reason: "CreateContainerConfigError", message: 'secret "api-db" not found' },
      ),
    ]);
    expect(revisionSignals(obs, NOW)).toEqual([]);
  });

  const withInit = (command: string[]) => ({
    containers: [{ name: "app", image: "api:1" }],
    initContainers: [{ name: "migrate", image: "api:1", command }],
  });
  const initialising = (name: string, runningMin: number) =>
    pod(name, "new", {
      phase: "Pending",
      ready: false,
      initContainers: [
        {
          name: "migrate",
          ready: false,
          restartCount: 0,
          runningSince: new Date(NOW - runningMin * 60_000).toISOString(),
        },
      ],
      containers: [
        { name: "app", ready: false, restartCount: 0, waiting: { reason: "PodInitializing", message: "" } },
      ],
    });

  it("an init container it changed has run for minutes without completing → revision_introduced", () => {
    const obs = observe(
      template("api:1", withInit(["migrate"])),
      template("api:1", withInit(["migrate", "--wait-lock"])),
      [pod("api-old-1", "old"), initialising("api-new-1", 12)],
    );
    const [s] = revisionSignals(obs, NOW);
    expect(s?.detail).toMatch(/init container migrate has run for 12 min without completing/);
  });

  it("an init container it added whose command never returns (sleep infinity), 90 s in → revision_introduced at once", () => {
    const obs = observe(
      template("api:1", withInit(["migrate"])),
      template("api:1", withInit(["sh", "-c", "sleep infinity"])),
      [pod("api-old-1", "old"), initialising("api-new-1", 1.5)],
    );
    expect(revisionSignals(obs, NOW)[0]?.detail).toMatch(
      /added init container migrate whose command never returns \("sh -c sleep infinity"\), running in 1 pod/,
    );
  });

  it("look-alikes: a wait-for loop that ends when its condition holds; a short sleep; an endless one both revisions run", () => {
    for (const command of [
      ["sh", "-c", "until nslookup db; do sleep 2; done"],
      ["sh", "-c", "while true; do nc -z db 5432 && break; sleep 1; done"],
      ["sleep", "30"],
    ]) {
      const obs = observe(template("api:1", withInit(["migrate"])), template("api:1", withInit(command)), [
        pod("api-old-1", "old"),
        initialising("api-new-1", 1.5),
      ]);
      expect(revisionSignals(obs, NOW)).toEqual([]);
    }
    const endless = template("api:1", withInit(["tail", "-f", "/dev/null"]));
    const relabelled = { ...endless, metadata: { labels: { v: "2" } } };
    expect(
      revisionSignals(
        observe(endless, relabelled, [pod("api-old-1", "old"), initialising("api-new-1", 1.5)]),
        NOW,
      ),
    ).toEqual([]);
  });

  it("neverReturns: sleep forever or for days, tail -f, an endless loop without break/exit", () => {
    expect(neverReturns(["sleep", "infinity"])).toBe(true);
    expect(neverReturns(["sh", "-c", "sleep 2d"])).toBe(true);
    expect(neverReturns(["sh", "-c", "sleep 86400"])).toBe(true);
    expect(neverReturns(["sh", "-c", "while :; do sleep 5; done"])).toBe(true);
    expect(neverReturns(["tail", "-f", "/dev/null"])).toBe(true);
    expect(neverReturns(["sh", "-c", "sleep 600"])).toBe(false);
    expect(neverReturns(["sh", "-c", "while true; do try && exit 0; sleep 1; done"])).toBe(false);
  });

  it("look-alikes: the same init container two minutes in; unchanged init containers; no previous pod serving", () => {
    const changed = [
      template("api:1", withInit(["migrate"])),
      template("api:1", withInit(["migrate", "--x"])),
    ] as const;
    expect(
      revisionSignals(observe(...changed, [pod("api-old-1", "old"), initialising("api-new-1", 2)]), NOW),
    ).toEqual([]);
    const same = template("api:1", withInit(["migrate"]));
    expect(
      revisionSignals(
        observe(same, { ...same, metadata: { labels: { v: "2" } } }, [
          pod("api-old-1", "old"),
          initialising("api-new-1", 12),
        ]),
        NOW,
      ),
    ).toEqual([]);
    expect(
      revisionSignals(
        observe(...changed, [pod("api-old-1", "old", { ready: false }), initialising("api-new-1", 12)]),
        NOW,
      ),
    ).toEqual([]);
  });

  const unready = (name: string, runningMin: number) =>
    pod(name, "new", {
      ready: false,
      containers: [
        {
          name: "app",
          ready: false,
          restartCount: 0,
          runningSince: new Date(NOW - runningMin * 60_000).toISOString(),
        },
      ],
    });
  const probed = (delay: number) => ({
    containers: [
      {
        name: "app",
        image: "api:2",
        readinessProbe: {
          httpGet: { path: "/ready", port: 8080 },
          initialDelaySeconds: delay,
          periodSeconds: 10,
        },
      },
    ],
  });
  const readinessFails = [
    {
      type: "Warning",
      reason: "Unhealthy",
      object: "Pod/api-new-1",
      message: "Readiness probe failed: HTTP probe failed with statuscode: 503",
      count: 12,
      lastSeen: null,
    },
  ] as unknown as WorkloadObservations["events"];

  it("its pods run but fail readiness past the probe's allowance, while the previous revision's serve → revision_introduced", () => {
    const obs = observe(
      template("api:1", probed(5)),
      template("api:2", probed(5)),
      [pod("api-old-1", "old"), unready("api-new-1", 2)],
      readinessFails,
    );
    expect(revisionSignals(obs, NOW)[0]?.detail).toMatch(
      /fail their readiness probe past its allowance and serve no endpoint/,
    );
    // Without probe events, minutes of never being Ready say the same.
    const quiet = observe(template("api:1"), template("api:2"), [
      pod("api-old-1", "old"),
      unready("api-new-1", 7),
    ]);
    expect(revisionSignals(quiet, NOW)[0]?.detail).toMatch(/have not become Ready for 7 min/);
  });

  it("look-alikes: pods still inside a long initial delay; unready pods a minute old with no probe verdict; no previous pod serving", () => {
    // The kubelet does not probe before the initial delay: no verdict yet, and 6 min is within 600 s + 3 periods.
    const slow = observe(template("api:1", probed(600)), template("api:2", probed(600)), [
      pod("api-old-1", "old"),
      unready("api-new-1", 6),
    ]);
    expect(revisionSignals(slow, NOW)).toEqual([]);
    const young = observe(template("api:1"), template("api:2"), [
      pod("api-old-1", "old"),
      unready("api-new-1", 1),
    ]);
    expect(revisionSignals(young, NOW)).toEqual([]);
    const alone = observe(template("api:1"), template("api:2"), [
      pod("api-old-1", "old", { ready: false }),
      unready("api-new-1", 7),
    ]);
    expect(revisionSignals(alone, NOW)).toEqual([]);
  });

  describe("an address only the new revision's environment names, which its requests fail to reach", () => {
    const withAddr = (value: string, extra: Array<{ name: string; value: string }> = []) => ({
      containers: [{ name: "app", image: "api:1", env: [{ name: "QUOTE_ADDR", value }, ...extra] }],
    });
    const failing = (host: string) =>
      Array.from(
        { length: 3 },
        (_, i) =>
          `2026-12-07T11:5${i}:00Z ERROR request failed: cannot reach ${host}:8080: dial tcp: lookup ${host}: no such host`,
      );
    const withLogs = (obs: WorkloadObservations, lines: string[]) => ({
      ...obs,
      logs: { "api-new-1": lines },
    });

    it("QUOTE_ADDR changed to a host its pods cannot reach → revision_introduced naming the variable and host", () => {
      const obs = withLogs(
        observe(
          template("api:1", withAddr("http://quote:8080")),
          template("api:1", withAddr("http://quote-svc:8080")),
          [pod("api-new-1", "new")],
        ),
        failing("quote-svc"),
      );
      const [s] = revisionSignals(obs, NOW);
      expect(s?.name).toBe("revision_introduced");
      expect(s?.detail).toMatch(
        /changed environment variable QUOTE_ADDR to "http:\/\/quote-svc:8080", and its pods' requests fail to reach quote-svc \(3 log line/,
      );
    });

    it("look-alikes: the host both revisions name is down (another env var changed); a changed host the errors do not name; one failed call", () => {
      const otherChanged = withLogs(
        observe(
          template("api:1", withAddr("http://quote:8080", [{ name: "LOG_LEVEL", value: "info" }])),
          template("api:1", withAddr("http://quote:8080", [{ name: "LOG_LEVEL", value: "debug" }])),
          [pod("api-new-1", "new")],
        ),
        failing("quote"),
      );
      expect(revisionSignals(otherChanged, NOW)).toEqual([]);
      const notNamed = withLogs(
        observe(
          template("api:1", withAddr("http://quote:8080")),
          template("api:1", withAddr("http://quote-v2:8080")),
          [pod("api-new-1", "new")],
        ),
        failing("payments"),
      );
      expect(revisionSignals(notNamed, NOW)).toEqual([]);
      const once = withLogs(
        observe(
          template("api:1", withAddr("http://quote:8080")),
          template("api:1", withAddr("http://quote-svc:8080")),
          [pod("api-new-1", "new")],
        ),
        failing("quote-svc").slice(0, 1),
      );
      expect(revisionSignals(once, NOW)).toEqual([]);
    });

    it("hostOf: URLs, host:port and DNS names are addresses; numbers and plain words are settings", () => {
      expect(hostOf("http://quote-svc:8080/x")).toBe("quote-svc");
      expect(hostOf("redis.cache.svc.cluster.local:6379")).toBe("redis.cache.svc.cluster.local");
      expect(hostOf("db:5432")).toBe("db");
      expect(hostOf("60")).toBeUndefined();
      expect(hostOf("3.14")).toBeUndefined();
      expect(hostOf("debug")).toBeUndefined();
    });
  });

  describe("a DNS setting only the new revision has, and its pods cannot resolve names", () => {
    const lookups = [
      "2026-12-07T11:50:00Z ERROR request failed: cannot reach cart:8080: dial tcp: lookup cart on 10.0.0.2:53: no such host",
      "2026-12-07T11:50:01Z ERROR request failed: cannot reach ad:8080: dial tcp: lookup ad on 10.0.0.2:53: no such host",
    ];
    const obsOf = (before: V1PodTemplateSpec, after: V1PodTemplateSpec, lines: string[]) => ({
      ...observe(before, after, [pod("api-new-1", "new")]),
      logs: { "api-new-1": lines },
    });

    it("dnsPolicy changed to Default and name lookups fail → revision_introduced naming the change", () => {
      const [s] = revisionSignals(
        obsOf(template("api:1"), template("api:1", { dnsPolicy: "Default" }), lookups),
        NOW,
      );
      expect(s?.name).toBe("revision_introduced");
      expect(s?.detail).toMatch(
        /dnsPolicy ClusterFirst → Default\), and they fail to resolve them \(2 log line/,
      );
    });

    it("look-alikes: lookups failing with unchanged DNS settings (the cluster's DNS down); DNS changed but names resolve; one failed lookup", () => {
      const same = template("api:1", { dnsPolicy: "ClusterFirst" });
      expect(revisionSignals(obsOf(template("api:1"), same, lookups), NOW)).toEqual([]);
      expect(
        revisionSignals(
          obsOf(template("api:1"), template("api:1", { dnsPolicy: "Default" }), ["INFO ok"]),
          NOW,
        ),
      ).toEqual([]);
      expect(
        revisionSignals(
          obsOf(template("api:1"), template("api:1", { dnsPolicy: "Default" }), lookups.slice(1)),
          NOW,
        ),
      ).toEqual([]);
    });
  });
});
