import type { ActionId } from "../../../../core/catalog.ts";
import type { KubeAction } from "./action.ts";
import { addKafkaConsumers, raiseHpaLimits, rateLimitTraffic, scaleDeployment } from "./capacity.ts";
import { cordonDrainNode, drainQueue, failoverDatabase, failoverRegion } from "./failover.ts";
import { recreatePodElsewhere, restartPod, rolloutRestart } from "./pods.ts";
import { rerouteTraffic, rollbackDeployment } from "./releases.ts";

/** The Kubernetes catalog actions, one object each; the platform runs whichever the decision names. */
export const KUBE_ACTIONS: Partial<Record<ActionId, KubeAction>> = Object.fromEntries(
  [
    restartPod,
    rolloutRestart,
    rollbackDeployment,
    scaleDeployment,
    raiseHpaLimits,
    cordonDrainNode,
    addKafkaConsumers,
    failoverDatabase,
    rateLimitTraffic,
    recreatePodElsewhere,
    rerouteTraffic,
    drainQueue,
    failoverRegion,
  ].map((a) => [a.id, a]),
);
