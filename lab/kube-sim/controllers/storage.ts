import type { KubeObject, Pod } from "../types.ts";
import { parseBytes } from "../world.ts";
import type { SimContext } from "./context.ts";
import { R, isActive, save } from "./context.ts";

export interface PersistentVolumeClaim extends KubeObject {
  spec: {
    storageClassName?: string | null;
    accessModes?: string[];
    resources?: { requests?: { storage?: string } };
    volumeName?: string;
    volumeMode?: string;
  };
  status?: { phase?: string; accessModes?: string[]; capacity?: Record<string, string> };
}

export interface PersistentVolume extends KubeObject {
  spec: {
    capacity?: { storage?: string };
    accessModes?: string[];
    persistentVolumeReclaimPolicy?: string;
    storageClassName?: string;
    claimRef?: { apiVersion?: string; kind?: string; namespace?: string; name?: string; uid?: string };
    volumeMode?: string;
  };
  status?: { phase?: string; message?: string };
}

export interface StorageClass extends KubeObject {
  provisioner: string;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
}

const DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";

/** The StorageClass a cluster gets when its manifests bring none: kind's and k3s's local-path default. */
export const DEFAULT_STORAGE_CLASS: StorageClass = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "standard", annotations: { [DEFAULT_CLASS]: "true" } },
  provisioner: "rancher.io/local-path",
  reclaimPolicy: "Delete",
  volumeBindingMode: "WaitForFirstConsumer",
};

/** The claims a pod mounts. */
export function claimsOf(p: Pod): string[] {
  return (p.spec.volumes ?? []).flatMap((v) =>
    v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
  );
}

/**
 * Why the scheduler cannot place a pod because of its claims (the VolumeBinding plugin's PreFilter): a claim
 * that does not exist, or one that is unbound with an Immediate binding mode. Undefined when it may proceed.
 */
export function claimBlocksScheduling(ctx: SimContext, p: Pod): string | undefined {
  for (const name of claimsOf(p)) {
    const pvc = ctx.store.peek(R.pvcs, p.metadata.namespace, name) as PersistentVolumeClaim | undefined;
    if (!pvc) return `persistentvolumeclaim "${name}" not found`;
    if (pvc.status?.phase === "Bound") continue;
    const cls = classOf(ctx, pvc);
    if (!cls || (cls.volumeBindingMode ?? "Immediate") === "Immediate")
      return "pod has unbound immediate PersistentVolumeClaims";
  }
  return undefined;
}

function defaultClass(ctx: SimContext): StorageClass | undefined {
  return (ctx.store.view(R.storageclasses) as readonly StorageClass[]).find(
    (c) => c.metadata.annotations?.[DEFAULT_CLASS] === "true",
  );
}

function classOf(ctx: SimContext, pvc: PersistentVolumeClaim): StorageClass | undefined {
  const name = pvc.spec.storageClassName;
  if (name === "" || name === null) return undefined;
  return name === undefined
    ? defaultClass(ctx)
    : (ctx.store.peek(R.storageclasses, undefined, name) as StorageClass | undefined);
}

/**
 * The persistent-volume controller and a dynamic provisioner: a claim of an existing class gets a volume
 * `pvc-<uid>` of the requested size and is Bound (for WaitForFirstConsumer classes, once a scheduled pod uses
 * it); a claim of a missing class or with no class at all stays Pending with the real events.
 */
export function reconcileStorage(ctx: SimContext): void {
  reconcileVolumes(ctx);
  const users = new Map<string, Pod>();
  for (const p of ctx.store.view(R.pods) as readonly Pod[])
    if (p.spec.nodeName && isActive(p))
      for (const c of claimsOf(p)) users.set(`${p.metadata.namespace}/${c}`, p);
  for (const o of ctx.store.view(R.pvcs)) {
    let pvc = o as PersistentVolumeClaim;
    if (pvc.status?.phase === "Bound") continue;
    const ns = pvc.metadata.namespace!;
    const key = `pvc/${pvc.metadata.uid}`;
    const say = (type: "Normal" | "Warning", reason: string, message: string, component: string) => {
      const now = ctx.clock.now();
      if (now - (ctx.world.reported.get(`${key}/${reason}`) ?? -Infinity) < 15_000) return;
      ctx.world.reported.set(`${key}/${reason}`, now);
      ctx.events.record(pvc, type, reason, message, component);
    };
    if (pvc.spec.storageClassName === undefined) {
      // The DefaultStorageClass admission plugin's job: a claim without a class gets the default one.
      const def = defaultClass(ctx);
      if (def)
        pvc = save(ctx, R.pvcs, { ...pvc, spec: { ...pvc.spec, storageClassName: def.metadata.name } });
    }
    if (pvc.status?.phase !== "Pending")
      pvc = ctx.store.update(
        R.pvcs,
        { ...pvc, status: { phase: "Pending" }, metadata: { ...pvc.metadata, resourceVersion: undefined } },
        "status",
      ) as PersistentVolumeClaim;
    const name = pvc.spec.storageClassName;
    const cls = classOf(ctx, pvc);
    const user = users.get(`${ns}/${pvc.metadata.name}`);
    // A claim that names its volume binds to it alone, or waits (the user asked for that one).
    if (pvc.spec.volumeName) {
      const pv = ctx.store.peek(R.pvs, undefined, pvc.spec.volumeName) as PersistentVolume | undefined;
      if (!pv) continue;
      if (!claimMayUse(pv, pvc)) {
        say(
          "Warning",
          "FailedBinding",
          `volume "${pv.metadata.name}" already bound to a different claim.`,
          "persistentvolume-controller",
        );
        continue;
      }
      bindStatic(ctx, pvc, pv);
      continue;
    }
    if (cls && cls.volumeBindingMode === "WaitForFirstConsumer" && !user) {
      say(
        "Normal",
        "WaitForFirstConsumer",
        "waiting for first consumer to be created before binding",
        "persistentvolume-controller",
      );
      continue;
    }
    // A statically provisioned volume of the claim's class that is Available and large enough.
    const match = staticMatch(ctx, pvc);
    if (match) {
      bindStatic(ctx, pvc, match);
      continue;
    }
    if (!name) {
      say(
        "Normal",
        "FailedBinding",
        "no persistent volumes available for this claim and no storage class is set",
        "persistentvolume-controller",
      );
      continue;
    }
    if (!cls) {
      say(
        "Warning",
        "ProvisioningFailed",
        `storageclass.storage.k8s.io "${name}" not found`,
        "persistentvolume-controller",
      );
      continue;
    }
    const size = pvc.spec.resources?.requests?.storage ?? "1Gi";
    const accessModes = pvc.spec.accessModes ?? ["ReadWriteOnce"];
    const pvName = `pvc-${pvc.metadata.uid}`;
    ctx.events.record(
      pvc,
      "Normal",
      "Provisioning",
      `External provisioner is provisioning volume for claim "${ns}/${pvc.metadata.name}"`,
      `${cls.provisioner}_${user?.spec.nodeName ?? "provisioner"}`,
    );
    if (!ctx.store.peek(R.pvs, undefined, pvName)) {
      const pv = ctx.store.create(R.pvs, {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: {
          name: pvName,
          annotations: { "pv.kubernetes.io/provisioned-by": cls.provisioner },
        },
        spec: {
          capacity: { storage: size },
          accessModes,
          persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? "Delete",
          storageClassName: cls.metadata.name,
          volumeMode: pvc.spec.volumeMode ?? "Filesystem",
          claimRef: {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            namespace: ns,
            name: pvc.metadata.name,
            uid: pvc.metadata.uid,
          },
          ...(user?.spec.nodeName
            ? { hostPath: { path: `/var/local-path-provisioner/${pvName}_${ns}_${pvc.metadata.name}` } }
            : {}),
        },
      });
      ctx.store.update(
        R.pvs,
        { ...pv, status: { phase: "Bound" }, metadata: { ...pv.metadata, resourceVersion: undefined } },
        "status",
      );
    }
    pvc = save(ctx, R.pvcs, {
      ...pvc,
      spec: { ...pvc.spec, volumeName: pvName },
      metadata: {
        ...pvc.metadata,
        annotations: {
          ...pvc.metadata.annotations,
          "pv.kubernetes.io/bind-completed": "yes",
          "pv.kubernetes.io/bound-by-controller": "yes",
          "volume.kubernetes.io/storage-provisioner": cls.provisioner,
        },
      },
    });
    ctx.store.update(
      R.pvcs,
      {
        ...pvc,
        status: { phase: "Bound", accessModes, capacity: { storage: size } },
        metadata: { ...pvc.metadata, resourceVersion: undefined },
      },
      "status",
    );
    ctx.events.record(
      pvc,
      "Normal",
      "ProvisioningSucceeded",
      `Successfully provisioned volume ${pvName}`,
      `${cls.provisioner}_${user?.spec.nodeName ?? "provisioner"}`,
    );
  }
}

const bytes = (q: string | undefined) => parseBytes(q) ?? 0;

/** Whether the volume is free for this claim: no claimRef, or one naming this claim (pre-bound). */
function claimMayUse(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec.claimRef;
  if (!ref) return true;
  return (
    ref.namespace === pvc.metadata.namespace &&
    ref.name === pvc.metadata.name &&
    (!ref.uid || ref.uid === pvc.metadata.uid)
  );
}

/**
 * The persistent-volume controller's search for an existing volume: Available (a Released one keeps its old
 * claimRef and is never matched), of the claim's class, with the claim's access modes and at least its size;
 * the smallest wins, a volume pre-bound to this claim first.
 */
function staticMatch(ctx: SimContext, pvc: PersistentVolumeClaim): PersistentVolume | undefined {
  const want = bytes(pvc.spec.resources?.requests?.storage);
  const modes = pvc.spec.accessModes ?? [];
  const cls = pvc.spec.storageClassName ?? "";
  const fits = (ctx.store.view(R.pvs) as readonly PersistentVolume[]).filter(
    (pv) =>
      (pv.status?.phase ?? "Available") === "Available" &&
      claimMayUse(pv, pvc) &&
      (pv.spec.storageClassName ?? "") === cls &&
      bytes(pv.spec.capacity?.storage) >= want &&
      modes.every((m) => (pv.spec.accessModes ?? []).includes(m)),
  );
  return fits.sort(
    (a, b) =>
      Number(Boolean(b.spec.claimRef)) - Number(Boolean(a.spec.claimRef)) ||
      bytes(a.spec.capacity?.storage) - bytes(b.spec.capacity?.storage),
  )[0];
}

/** Binds a claim to an existing volume: the volume's claimRef, both Bound, the controller's annotations. */
function bindStatic(ctx: SimContext, pvc: PersistentVolumeClaim, pv: PersistentVolume): void {
  const ns = pvc.metadata.namespace!;
  const boundPv = save(ctx, R.pvs, {
    ...pv,
    metadata: {
      ...pv.metadata,
      annotations: { ...pv.metadata.annotations, "pv.kubernetes.io/bound-by-controller": "yes" },
    },
    spec: {
      ...pv.spec,
      claimRef: {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        namespace: ns,
        name: pvc.metadata.name,
        uid: pvc.metadata.uid,
      },
    },
  });
  ctx.store.update(
    R.pvs,
    { ...boundPv, status: { phase: "Bound" }, metadata: { ...boundPv.metadata, resourceVersion: undefined } },
    "status",
  );
  const claim = save(ctx, R.pvcs, {
    ...pvc,
    spec: { ...pvc.spec, volumeName: pv.metadata.name },
    metadata: {
      ...pvc.metadata,
      annotations: {
        ...pvc.metadata.annotations,
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
      },
    },
  });
  ctx.store.update(
    R.pvcs,
    {
      ...claim,
      status: {
        phase: "Bound",
        accessModes: pv.spec.accessModes ?? [],
        capacity: { storage: pv.spec.capacity?.storage ?? "" },
      },
      metadata: { ...claim.metadata, resourceVersion: undefined },
    },
    "status",
  );
}

/**
 * The volumes' side of the persistent-volume controller: a new volume becomes Available; a bound volume whose
 * claim is gone (deleted, or re-created with another uid) is Released and keeps its stale claimRef when its
 * reclaim policy is Retain, and is deleted with its claim when it is Delete.
 */
function reconcileVolumes(ctx: SimContext): void {
  for (const o of ctx.store.view(R.pvs)) {
    const pv = o as PersistentVolume;
    const ref = pv.spec.claimRef;
    const phase = pv.status?.phase;
    let next = phase;
    // Without a claim (or pre-bound to one not yet bound), a volume is Available, a cleared Released one too.
    if (!ref?.uid) next = "Available";
    else {
      const claim = ctx.store.peek(R.pvcs, ref.namespace, ref.name ?? "") as
        PersistentVolumeClaim | undefined;
      const gone = !claim || claim.metadata.uid !== ref.uid;
      if (gone && (pv.spec.persistentVolumeReclaimPolicy ?? "Retain") === "Delete") {
        ctx.store.delete(R.pvs, undefined, pv.metadata.name);
        continue;
      }
      next = gone ? (phase === "Failed" ? phase : "Released") : "Bound";
    }
    if (next !== phase)
      ctx.store.update(
        R.pvs,
        { ...pv, status: { phase: next }, metadata: { ...pv.metadata, resourceVersion: undefined } },
        "status",
      );
  }
}
