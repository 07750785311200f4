import { hostOf, jobMatches, k8sRef, type LabelTable } from "./table.ts";

/**
 * node-exporter (awesome-prometheus-alerts' Host* rules, kubernetes-mixin's Node* rules). Its `instance` is the
 * exporter's address (`10.0.1.11:9100`), or the node name where the scrape config relabels it so; rules that join
 * `node_uname_info` also carry `nodename`. The platform matches either against node names and addresses.
 */
export const NODE_EXPORTER: LabelTable = {
  name: "node-exporter",
  source:
    "prometheus/node_exporter; awesome-prometheus-alerts host-and-hardware; kubernetes-mixin node rules",
  rows: [
    {
      needs: ["nodename"],
      resolve: (l, ctx) => k8sRef(ctx, "node", l.nodename!, undefined, `nodename="${l.nodename}"`),
    },
    {
      needs: ["instance"],
      when: jobMatches(/node[-_]?exporter|^node$|^nodes?$/i),
      resolve: (l, ctx) => {
        const host = hostOf(l.instance);
        return host ? k8sRef(ctx, "node", host, undefined, `instance="${l.instance}"`) : undefined;
      },
    },
  ],
};
