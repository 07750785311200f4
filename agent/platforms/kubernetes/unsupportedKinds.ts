import type { V1DaemonSet, V1StatefulSet } from "@kubernetes/client-node";

/**
 * A StatefulSet's or DaemonSet's rollout in plain words, for the escalation of a kind no catalog action acts on:
 * how many pods it wants, how many are Ready and run its newest template, and whether a new template's rollout
 * stopped with pods not Ready (then undoing that rollout is the person's likely fix). Pure; undefined without a status.
 */
export function rolloutStatusText(o: V1StatefulSet | V1DaemonSet): string | undefined {
  if (o.kind === "DaemonSet" || "desiredNumberScheduled" in (o.status ?? {})) {
    const s = (o as V1DaemonSet).status;
    if (!s) return undefined;
    const want = s.desiredNumberScheduled;
    const ready = s.numberReady;
    const updated = s.updatedNumberScheduled ?? 0;
    const stuck = ready < want && updated < want && updated > 0;
    return `${want} desired, ${ready} Ready, ${updated} on the newest template${stuck ? `: the rollout of the newest template stopped with ${want - ready} pod(s) not Ready; if the new template is at fault, \`kubectl rollout undo daemonset/${o.metadata?.name ?? ""}\` restores the previous one` : ""}`;
  }
  const st = (o as V1StatefulSet).status;
  if (!st) return undefined;
  const want = (o as V1StatefulSet).spec?.replicas ?? st.replicas;
  const ready = st.readyReplicas ?? 0;
  const newer = st.updateRevision !== undefined && st.currentRevision !== st.updateRevision;
  return `${want} desired, ${ready} Ready, ${st.updatedReplicas ?? 0} on the newest revision${newer && ready < want ? `: the rollout of revision ${st.updateRevision} stopped with ${want - ready} pod(s) not Ready; if the new template is at fault, \`kubectl rollout undo statefulset/${o.metadata?.name ?? ""}\` restores the previous one` : ""}`;
}
