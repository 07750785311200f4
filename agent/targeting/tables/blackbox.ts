import { throughPolicy } from "./domain.ts";
import { hostOf, jobMatches, k8sRef, serviceOfHost, type LabelTable } from "./table.ts";

const withScheme = (v: string | undefined): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(v ?? "");
const hostPort = (v: string): string => {
  try {
    const u = new URL(withScheme(v) ? v : `tcp://${v}`);
    return `${u.hostname}:${u.port}`;
  } catch {
    return v;
  }
};

/**
 * blackbox_exporter: `instance` is the probed URL (or host:port for TCP probes). A cluster Service's DNS name names
 * the Service; any other host maps through the policy entry whose health URL points at the same host and port.
 */
export const BLACKBOX: LabelTable = {
  name: "blackbox",
  source: "prometheus/blackbox_exporter (awesome-prometheus-alerts blackbox)",
  rows: [
    {
      needs: ["instance"],
      // A URL, or a Probe resource's job (`probe/<namespace>/<name>`); the exporter's own series (job blackbox-exporter,
      // instance host:port) are about the exporter, not a probed service.
      when: (l) => withScheme(l.instance) || jobMatches(/^probe\//i)(l),
      resolve: (l, ctx) => {
        const host = hostOf(l.instance);
        const svc = serviceOfHost(host);
        if (svc) return k8sRef(ctx, "service", svc.name, svc.namespace, `instance="${l.instance}"`);
        const probed = hostPort(l.instance!);
        return throughPolicy(
          l,
          ctx,
          `probed URL ${l.instance}`,
          [l.service, host],
          (s) => s.healthUrl !== undefined && hostPort(s.healthUrl) === probed,
          ` with healthUrl: ${l.instance}`,
        );
      },
    },
  ],
};
