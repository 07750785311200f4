import { z } from "zod";

/** The policy's `rightsizing` section: prices and margins of the audit. */
export const rightsizingSchema = z
  .object({
    pricePerVcpuHour: z
      .number()
      .min(0)
      .default(0.0316)
      .describe("price of one vCPU for an hour (on-demand, your currency)"),
    pricePerGibHour: z.number().min(0).default(0.0042).describe("price of one GiB of memory for an hour"),
    windowDays: z.number().positive().max(90).default(7).describe("usage history the audit reads"),
    quantile: z.number().gt(0.5).lt(1).default(0.99).describe("usage quantile the safe request covers"),
    margin: z
      .number()
      .min(0)
      .default(0.15)
      .describe("headroom over that quantile while the predictive watcher covers the workload"),
    marginUnwatched: z.number().min(0).default(0.3).describe("headroom when no predictive series covers it"),
    namespaces: z.array(z.string()).default([]).describe("namespaces audited (all when empty)"),
  })
  .strict();

/** Audit settings. */
export type RightsizingConfig = z.infer<typeof rightsizingSchema>;

/** What the audit reads per container of a workload (values per pod; replicas = pods seen). */
export interface ContainerUsage {
  namespace: string;
  workload: string;
  container: string;
  replicas: number;
  cpuRequest: number | undefined;
  cpuP95: number;
  cpuP99: number;
  memRequest: number | undefined;
  memP95: number;
  memP99: number;
  /** True when a predictive series watches this workload's memory. */
  watched: boolean;
}

/** One line of the audit. */
export interface RightsizingLine extends ContainerUsage {
  cpuSafe: number;
  memSafe: number;
  /** Monthly cost of (request − safe request) over all replicas; negative when under-provisioned. */
  monthlySavings: number;
  reason: string;
}

const HOURS_PER_MONTH = 730;
const GiB = 1024 ** 3;

/**
 * The safe request per container (the chosen quantile of use plus a margin; floors of 10 mCPU and 32 MiB)
 * and the monthly cost of what is reserved beyond it. A workload the predictive watcher covers gets the
 * smaller margin: a leak or a ramp is raised minutes before it reaches the request, so the headroom no
 * longer has to absorb it unseen.
 */
export function rightsize(rows: readonly ContainerUsage[], cfg: RightsizingConfig): RightsizingLine[] {
  return rows
    .map((u) => {
      const margin = u.watched ? cfg.margin : cfg.marginUnwatched;
      const cpuSafe = Math.max(0.01, u.cpuP99 * (1 + margin));
      const memSafe = Math.max(32 * 1024 * 1024, u.memP99 * (1 + margin));
      const cpuExtra = u.cpuRequest === undefined ? 0 : u.cpuRequest - cpuSafe;
      const memExtra = u.memRequest === undefined ? 0 : u.memRequest - memSafe;
      const monthlySavings =
        u.replicas *
        HOURS_PER_MONTH *
        (cpuExtra * cfg.pricePerVcpuHour + (memExtra / GiB) * cfg.pricePerGibHour);
      const q = `p${Math.round(cfg.quantile * 100)}`;
      const reason =
        `${q} use ${u.cpuP99.toFixed(3)} vCPU / ${(u.memP99 / 2 ** 20).toFixed(0)} MiB + ${Math.round(margin * 100)} % ` +
        (u.watched
          ? "(predictive watcher on: a leak or ramp is raised before it reaches the request)"
          : "(not watched: headroom must absorb surprises)");
      return { ...u, cpuSafe, memSafe, monthlySavings, reason };
    })
    .sort((a, b) => b.monthlySavings - a.monthlySavings);
}

/** The workload a pod belongs to: its name without the ReplicaSet and pod suffixes (or a StatefulSet ordinal). */
export function workloadOf(pod: string): string {
  // Kubernetes' generated suffixes use an alphabet without vowels (and 0, 1, 3), so words are not mistaken for them.
  const rs = /^(.*)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/.exec(pod);
  if (rs) return rs[1]!;
  const ds = /^(.*)-[bcdfghjklmnpqrstvwxz2456789]{5}$/.exec(pod);
  if (ds) return ds[1]!;
  const sts = /^(.*)-\d+$/.exec(pod);
  return sts ? sts[1]! : pod;
}
