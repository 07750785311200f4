import type { ResourceDef } from "./resources.ts";
import type { Container, KubeObject, Pod, PodTemplate } from "./types.ts";

/** The defaults the API server fills in on create and update, limited to what kubectl and the controllers read. */
export function applyDefaults(res: ResourceDef, obj: KubeObject, nextClusterIP: () => string): void {
  switch (res.kind) {
    case "Pod":
      defaultPodSpec((obj as Pod).spec);
      if (!(obj as Pod).status) (obj as Pod).status = { phase: "Pending", qosClass: "BestEffort" };
      break;
    case "Deployment": {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      const strategy = (spec.strategy ??= {}) as Record<string, unknown>;
      strategy.type ??= "RollingUpdate";
      if (strategy.type === "RollingUpdate") {
        const ru = (strategy.rollingUpdate ??= {}) as Record<string, unknown>;
        ru.maxSurge ??= "25%";
        ru.maxUnavailable ??= "25%";
      }
      defaultTemplate(spec.template as PodTemplate | undefined);
      break;
    }
    case "ReplicaSet":
    case "DaemonSet": {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      if (res.kind === "ReplicaSet") spec.replicas ??= 1;
      if (res.kind === "DaemonSet") {
        spec.revisionHistoryLimit ??= 10;
        const us = (spec.updateStrategy ??= {}) as Record<string, unknown>;
        us.type ??= "RollingUpdate";
        if (us.type === "RollingUpdate") {
          const ru = (us.rollingUpdate ??= {}) as Record<string, unknown>;
          ru.maxUnavailable ??= 1;
          ru.maxSurge ??= 0;
        }
      }
      defaultTemplate(spec.template as PodTemplate | undefined);
      break;
    }
    case "Service": {
      const spec = (obj.spec ??= {}) as {
        type?: string;
        clusterIP?: string;
        clusterIPs?: string[];
        sessionAffinity?: string;
        ports?: { port: number; protocol?: string; targetPort?: number | string }[];
      };
      spec.type ??= "ClusterIP";
      spec.sessionAffinity ??= "None";
      if (!spec.clusterIP) {
        spec.clusterIP = nextClusterIP();
        spec.clusterIPs = [spec.clusterIP];
      }
      for (const p of spec.ports ?? []) {
        p.protocol ??= "TCP";
        p.targetPort ??= p.port;
      }
      break;
    }
    case "Secret": {
      obj.type ??= "Opaque";
      const sd = obj.stringData as Record<string, string> | undefined;
      if (sd) {
        const data = ((obj.data as Record<string, string> | undefined) ?? {}) as Record<string, string>;
        for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(v).toString("base64");
        obj.data = data;
        delete obj.stringData;
      }
      break;
    }
    case "Namespace":
      obj.spec ??= { finalizers: ["kubernetes"] };
      obj.status = { phase: "Active" };
      break;
    case "Node":
      defaultNode(obj);
      break;
    case "Job": {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      spec.backoffLimit ??= 6;
      spec.completions ??= 1;
      spec.parallelism ??= 1;
      spec.completionMode ??= "NonIndexed";
      spec.suspend ??= false;
      defaultTemplate(spec.template as PodTemplate | undefined);
      break;
    }
    case "CronJob": {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      spec.concurrencyPolicy ??= "Allow";
      spec.suspend ??= false;
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
      const jt = (spec.jobTemplate ??= {}) as { spec?: Record<string, unknown> };
      if (jt.spec) defaultTemplate(jt.spec.template as PodTemplate | undefined);
      break;
    }
    case "StatefulSet": {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= "OrderedReady";
      spec.revisionHistoryLimit ??= 10;
      const us = (spec.updateStrategy ??= {}) as Record<string, unknown>;
      us.type ??= "RollingUpdate";
      if (us.type === "RollingUpdate") ((us.rollingUpdate ??= {}) as Record<string, unknown>).partition ??= 0;
      spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: "Retain", whenScaled: "Retain" };
      defaultTemplate(spec.template as PodTemplate | undefined);
      break;
    }
    case "PersistentVolume": {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      spec.persistentVolumeReclaimPolicy ??= "Retain";
      spec.volumeMode ??= "Filesystem";
      break;
    }
    case "PriorityClass":
      obj.preemptionPolicy ??= "PreemptLowerPriority";
      break;
    case "HorizontalPodAutoscaler": {
      const spec = obj.spec as { minReplicas?: number } | undefined;
      if (spec) spec.minReplicas ??= 1;
      break;
    }
  }
}

function defaultTemplate(t: PodTemplate | undefined): void {
  if (!t?.spec) return;
  t.metadata ??= {};
  defaultPodSpec(t.spec);
}

function defaultPodSpec(spec: Pod["spec"] | undefined): void {
  if (!spec) return;
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.schedulerName ??= "default-scheduler";
  for (const c of spec.containers ?? []) defaultContainer(c);
}

function defaultContainer(c: Container): void {
  for (const p of c.ports ?? []) p.protocol ??= "TCP";
  c.imagePullPolicy ??= c.image?.endsWith(":latest") || !c.image?.includes(":") ? "Always" : "IfNotPresent";
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  c.resources ??= {};
}

function defaultNode(n: KubeObject): void {
  const name = n.metadata.name;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 200;
  n.metadata.labels = { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", ...n.metadata.labels };
  const status = (n.status ??= {}) as Record<string, unknown>;
  status.addresses ??= [
    { type: "InternalIP", address: `10.0.0.${h + 10}` },
    { type: "Hostname", address: name },
  ];
  status.capacity ??= { cpu: "4", memory: "16374584Ki", pods: "110", "ephemeral-storage": "102350Mi" };
  status.allocatable ??= { cpu: "3800m", memory: "15274584Ki", pods: "110", "ephemeral-storage": "94353Mi" };
  status.nodeInfo ??= {
    kubeletVersion: "v1.32.4",
    kubeProxyVersion: "v1.32.4",
    osImage: "Debian GNU/Linux 12 (bookworm)",
    kernelVersion: "6.1.0-28-amd64",
    containerRuntimeVersion: "containerd://1.7.24",
    operatingSystem: "linux",
    architecture: "amd64",
  };
}
