import type { Clock } from "../../../core/clock.ts";
import type { KubeClients } from "../../../tools/kubernetes/client.ts";
import { createCordonDrainNodeTool } from "../../../tools/kubernetes/cordonDrainNode.ts";
import { createHpaTool } from "../../../tools/kubernetes/hpa.ts";
import { createListPodsTool } from "../../../tools/kubernetes/listPods.ts";
import { createNodeStatusTool } from "../../../tools/kubernetes/nodeStatus.ts";
import { createEventsTool } from "../../../tools/kubernetes/objectEvents.ts";
import { createPdbTool } from "../../../tools/kubernetes/pdb.ts";
import { createPodLogsTool } from "../../../tools/kubernetes/podLogs.ts";
import { createPodMetricsTool } from "../../../tools/kubernetes/podMetrics.ts";
import { createRaiseHpaLimitsTool } from "../../../tools/kubernetes/raiseHpaLimits.ts";
import { createRestartPodTool } from "../../../tools/kubernetes/restartPod.ts";
import { createRollbackDeploymentTool } from "../../../tools/kubernetes/rollbackDeployment.ts";
import { createRolloutHistoryTool } from "../../../tools/kubernetes/rolloutHistory.ts";
import { createRolloutRestartTool } from "../../../tools/kubernetes/rolloutRestart.ts";
import { createScaleDeploymentTool } from "../../../tools/kubernetes/scaleDeployment.ts";
import { createRecreatePodElsewhereTool } from "../../../tools/kubernetes/recreatePodElsewhere.ts";
import { createAddKafkaConsumersTool } from "../../../tools/kubernetes/addKafkaConsumers.ts";
import { createFailoverDatabaseTool } from "../../../tools/kubernetes/failoverDatabase.ts";
import { createRateLimitTrafficTool } from "../../../tools/kubernetes/rateLimitTraffic.ts";
import { createRerouteTrafficTool } from "../../../tools/kubernetes/rerouteTraffic.ts";
import { createDrainQueueTool } from "../../../tools/http/drainQueue.ts";
import type { ArgocdClient } from "../../../tools/argocd/client.ts";
import { createArgocdRollbackTool } from "../../../tools/argocd/rollbackApplication.ts";

/** Every Kubernetes tool the platform uses, built once from its clients. */
export function createKubeTools(opts: {
  kube: KubeClients;
  drainRetryMs?: number;
  argocd?: ArgocdClient | undefined;
  clock?: Clock | undefined;
}) {
  const { kube } = opts;
  return {
    pods: createListPodsTool({ kube }),
    logs: createPodLogsTool({ kube }),
    podMetrics: createPodMetricsTool({ kube }),
    history: createRolloutHistoryTool({ kube }),
    node: createNodeStatusTool({ kube }),
    events: createEventsTool({ kube }),
    hpas: createHpaTool({ kube }),
    pdbs: createPdbTool({ kube }),
    restartPod: createRestartPodTool({ kube }),
    rolloutRestart: createRolloutRestartTool({ kube }),
    rollback: createRollbackDeploymentTool({ kube }),
    scale: createScaleDeploymentTool({ kube }),
    raiseHpa: createRaiseHpaLimitsTool({ kube }),
    drain: createCordonDrainNodeTool({
      kube,
      ...(opts.drainRetryMs ? { retryMs: opts.drainRetryMs } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    }),
    addConsumers: createAddKafkaConsumersTool({ kube }),
    recreate: createRecreatePodElsewhereTool({ kube, ...(opts.clock ? { clock: opts.clock } : {}) }),
    failover: createFailoverDatabaseTool({ kube }),
    rateLimit: createRateLimitTrafficTool({ kube }),
    reroute: createRerouteTrafficTool({ kube }),
    drainQueue: createDrainQueueTool(),
    ...(opts.argocd ? { argocdRollback: createArgocdRollbackTool({ argocd: opts.argocd }) } : {}),
  };
}

export type KubeTools = ReturnType<typeof createKubeTools>;
