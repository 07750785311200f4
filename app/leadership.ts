import { CoordinationV1Api } from "@kubernetes/client-node";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import { LeaseLeadership } from "../store/kubernetes/leaseLeadership.ts";
import { SingleProcessLeadership, type Leadership } from "../store/leadership.ts";
import type { Store } from "../store/openStore.ts";
import { loadKubeConfig } from "../tools/kubernetes/client.ts";

/**
 * Who runs the singletons, per AEGIS_LEADER_ELECTION: a Kubernetes Lease (through KUBECONFIG's current context or
 * the pod's service account), else the store's own (the advisory lock on PostgreSQL, this process on SQLite).
 */
export function chooseLeadership(config: Readonly<Config>, store: Store, logger: Logger): Leadership {
  const election = config.leaderElection;
  // `single` on PostgreSQL: every replica runs the singletons (one replica, or a deliberate choice).
  if (election.kind === "single")
    return store.kind === "sqlite" ? store.leadership : new SingleProcessLeadership();
  if (election.kind === "postgres") return store.leadership;
  const kc = loadKubeConfig(
    config.kubeconfig ? { kind: "file", path: config.kubeconfig } : { kind: "in_cluster" },
  );
  return new LeaseLeadership({
    api: kc.makeApiClient(CoordinationV1Api),
    namespace: election.namespace,
    name: election.name,
    identity: config.replicaId,
    durationSeconds: election.durationSeconds,
    logger: logger.child({ module: "leader" }),
  });
}
