import { isExporterOwnService } from "./exporters.ts";
import { fromPolicy, policyEntry } from "./policyMap.ts";
import type { LabelTable } from "./table.ts";

/** A bare `service` label (AegisOps's rules, many hand-written ones): the policy's service map. */
export const SERVICE: LabelTable = {
  name: "service",
  source: "AegisOps rules and hand-written rules with a service label",
  rows: [
    {
      needs: ["service"],
      // An exporter's own Service (a scrape target label) names no service of the policy.
      when: (l) => !isExporterOwnService(l),
      resolve: (l, ctx) =>
        fromPolicy(ctx, [l.service]) ?? {
          needsPolicy: {
            what: `service "${l.service}"`,
            entry: policyEntry(l.service!),
          },
        },
    },
  ],
};
