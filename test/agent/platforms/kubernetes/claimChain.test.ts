import { describe, expect, it } from "vitest";
import type { V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { heuristicDecision } from "../../../helpers/decisions.ts";
import { HeuristicPlanner } from "../../../../agent/planners/heuristic.ts";
import { defaultPolicy } from "../../../../agent/policy/loadPolicy.ts";
import { claimSignals, UNBOUND_CLAIMS } from "../../../../agent/platforms/kubernetes/claimSignals.ts";
import { callerSignals } from "../../../../agent/platforms/kubernetes/dependencySignals.ts";
import type { Evidence, Incident, Signal, Target } from "../../../../core/types.ts";

const workload = (name: string): Target & { kind: "k8s_workload" } => ({
  kind: "k8s_workload",
  key: `k8s::hotel/deployment/${name}`,
  namespace: "hotel",
  workload: "deployment",
  name,
});
const claim = (phase: string, uid = "new-uid"): V1PersistentVolumeClaim => ({
  metadata: { name: "geo-pvc", namespace: "hotel", uid },
  spec: { storageClassName: "geo-storage" },
  status: { phase },
});
const volume = (phase: string, claimUid: string): V1PersistentVolume => ({
  metadata: { name: "geo-pv" },
  spec: { storageClassName: "geo-storage", claimRef: { namespace: "hotel", name: "geo-pvc", uid: claimUid } },
  status: { phase },
});
const provisioningFailed = {
  type: "Warning",
  reason: "ProvisioningFailed",
  message: 'storageclass.storage.k8s.io "geo-storage" not found',
  count: 3,
  object: "PersistentVolumeClaim/geo-pvc",
  last: null,
};

describe("pods Pending on a claim that does not bind → the claim is the root cause", () => {
  it("recognises the scheduler's words for unbound or missing claims", () => {
    expect(
      UNBOUND_CLAIMS.test("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."),
    ).toBe(true);
    expect(UNBOUND_CLAIMS.test('persistentvolumeclaim "data" not found')).toBe(true);
    expect(UNBOUND_CLAIMS.test("0/3 nodes are available: 3 Insufficient cpu.")).toBe(false);
  });

  it("a Pending claim with a Released volume still holding the old claim: named, with the volume and the fix", async () => {
    const [s] = claimSignals(
      "hotel",
      [{ name: "geo-pvc", claim: claim("Pending"), events: [provisioningFailed] }],
      [volume("Released", "old-uid")],
    );
    expect(s).toMatchObject({ name: "claim_unbound", value: "geo-pvc" });
    expect(s!.detail).toMatch(/geo-pvc is Pending, not Bound/);
    expect(s!.detail).toMatch(/ProvisioningFailed: storageclass.* "geo-storage" not found/);
    expect(s!.detail).toMatch(
      /PersistentVolume geo-pv is Released and still holds a claimRef .*old-uid.*clears its spec\.claimRef/,
    );
    const d = await heuristicDecision(workload("mongodb-geo"), [
      { name: "pods_not_ready", value: 1, detail: "" },
      s!,
    ]);
    expect(d.action).toBe("none");
    expect(d.disposition).toBe("escalate");
    expect(d.target).toBe("hotel/persistentvolumeclaim/geo-pvc");
  });

  it("a claim that does not exist, or with no volume of its class, is named too", () => {
    const [missing] = claimSignals("hotel", [{ name: "geo-pvc", events: [] }], []);
    expect(missing!.detail).toMatch(/geo-pvc does not exist/);
    const [none] = claimSignals("hotel", [{ name: "geo-pvc", claim: claim("Pending"), events: [] }], []);
    expect(none!.detail).toMatch(
      /no Available PersistentVolume of class geo-storage .*none of that class exists/,
    );
  });

  it("look-alike: every claim Bound (the pod waits on something else) → nothing from this rule", () => {
    expect(
      claimSignals(
        "hotel",
        [{ name: "geo-pvc", claim: claim("Bound"), events: [] }],
        [volume("Bound", "new-uid")],
      ),
    ).toEqual([]);
  });
});

describe("a service whose dependency refuses its connections", () => {
  const geoLines = [
    "ERROR request failed: cannot reach mongodb-geo: dial tcp 10.96.0.23:27017: connect: connection refused",
    "FATAL cannot connect to mongodb-geo: dial tcp 10.96.0.23:27017: connect: connection refused",
  ];

  it("names the whole service name from Go, Node and JDBC wordings; a timeout is not a refusal", () => {
    expect(callerSignals({ "geo-1": geoLines })).toEqual([
      expect.objectContaining({ name: "dependency_down", value: "mongodb-geo" }),
    ]);
    expect(
      callerSignals({
        p: ["Error: failed to connect to orders-db.shop.svc:5432: connect ECONNREFUSED 10.0.0.9:5432"],
      }),
    ).toEqual([expect.objectContaining({ name: "dependency_down", value: "orders-db" })]);
    expect(callerSignals({ p: ["call to checkout-api timed out after 5s"] })).toEqual([
      expect.objectContaining({ name: "callee_unreachable", value: "checkout-api" }),
    ]);
    expect(callerSignals({ p: ["cannot connect to redis: i/o timeout"] })).toEqual([]);
  });

  it("crash-looping on a dependency whose own pods wait on a claim → escalated naming the claim, never restarted or rolled back", async () => {
    const signals: Signal[] = [
      { name: "crash_loop", value: true, detail: "1 of 1 pod(s) failing" },
      { name: "recent_rollout", value: 1, detail: "" },
      ...callerSignals({ "geo-1": geoLines }),
    ];
    const dep = workload("mongodb-geo");
    const evidence: Evidence = {
      collectedAt: "",
      signals,
      observations: {},
      errors: [],
      dependency: {
        target: dep,
        via: "dependency_down",
        signals: [
          { name: "pods_not_ready", value: 1, detail: "" },
          ...claimSignals(
            "hotel",
            [{ name: "geo-pvc", claim: claim("Pending"), events: [] }],
            [volume("Released", "old")],
          ),
        ],
      },
    };
    const d = await new HeuristicPlanner().decide({
      incident: {} as Incident,
      target: workload("geo"),
      evidence,
      recalled: [],
      policy: defaultPolicy(),
    });
    expect(d.action).toBe("none");
    expect(d.target).toBe("hotel/persistentvolumeclaim/geo-pvc");
    expect(d.rationale).toMatch(/refuses its connections/);
    expect(d.rationale).toMatch(/geo-pv is Released/);
  });

  it("look-alike: the new revision itself introduced what fails (e.g. a changed address) → its rollback stands", async () => {
    const d = await heuristicDecision(workload("geo"), [
      { name: "crash_loop", value: true, detail: "" },
      { name: "revision_introduced", value: 2, detail: "env DB_URL changed to mongodb-geo:27018" },
      ...callerSignals({ "geo-1": geoLines }),
    ]);
    expect(d.action).toBe("rollback_deployment");
  });
});
