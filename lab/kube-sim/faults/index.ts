import type { SimContext } from "../controllers/context.ts";
import { ApiError } from "../http/status.ts";
import { crashloop } from "./crashloop.ts";
import {
  dbLatency,
  kafkaLag,
  packetLoss,
  queueDepth,
  trafficSpike,
  upstreamThrottling,
} from "./dependencies.ts";
import { http5xx, latencyP95 } from "./http.ts";
import { hungService } from "./hung.ts";
import { podDegraded } from "./pod.ts";
import { memoryLeak, oomKilled } from "./memory.ts";
import { diskPressure, nodeNotReady } from "./node.ts";
import type { FaultFamily, FaultSpec, InjectedCause } from "./types.ts";
import { FAULT_FAMILIES } from "./types.ts";

/** Every fault family, by canonical name. */
export const FAULTS: Readonly<Record<string, FaultFamily>> = Object.fromEntries(
  [
    crashloop,
    oomKilled,
    memoryLeak,
    nodeNotReady,
    diskPressure,
    http5xx,
    latencyP95,
    hungService,
    podDegraded,
    dbLatency,
    packetLoss,
    trafficSpike,
    kafkaLag,
    queueDepth,
    upstreamThrottling,
  ].map((f) => [f.family, f]),
);

/** An injected fault as the fault API reports it. */
export interface FaultRecord {
  id: string;
  family: string;
  variant: string;
  target: string;
  injectedAt: string;
  cause: string;
  clearedBy: string;
  /** True while the cause is in place; false once an action (or a reset) removed it. */
  active: boolean;
}

/** The injected faults of one simulator. */
export class FaultBook {
  private seq = 0;
  private readonly faults = new Map<string, { rec: Omit<FaultRecord, "active">; cause: InjectedCause }>();

  /** Injects a fault; validation errors are ApiErrors (400/404). */
  inject(ctx: SimContext, spec: FaultSpec): FaultRecord {
    if (!FAULT_FAMILIES.includes(spec.family)) {
      throw new ApiError(
        "BadRequest",
        `unknown fault "${String(spec.family)}"; known: ${FAULT_FAMILIES.join(", ")}`,
      );
    }
    const fam = FAULTS[spec.family]!;
    if (spec.variant && !fam.variants.includes(spec.variant)) {
      throw new ApiError(
        "BadRequest",
        `unknown variant "${spec.variant}" of ${spec.family}; known: ${fam.variants.join(", ")}`,
      );
    }
    if (!spec.target) throw new ApiError("BadRequest", "target is required");
    const cause = fam.inject(ctx, spec);
    const id = `f${++this.seq}`;
    const rec = {
      id,
      family: spec.family,
      variant: spec.variant ?? fam.variants[0]!,
      target: spec.target,
      injectedAt: new Date(ctx.clock.now()).toISOString(),
      cause: cause.cause,
      clearedBy: cause.clearedBy,
    };
    this.faults.set(id, { rec, cause });
    return { ...rec, active: cause.active(ctx) };
  }

  list(ctx: SimContext): FaultRecord[] {
    return [...this.faults.values()].map((f) => ({ ...f.rec, active: f.cause.active(ctx) }));
  }

  get(ctx: SimContext, id: string): FaultRecord | undefined {
    const f = this.faults.get(id);
    return f ? { ...f.rec, active: f.cause.active(ctx) } : undefined;
  }

  /** Removes a fault's cause directly (a lab reset, not a healing action) and forgets it. */
  revert(ctx: SimContext, id: string): boolean {
    const f = this.faults.get(id);
    if (!f) return false;
    f.cause.revert(ctx);
    this.faults.delete(id);
    return true;
  }
}
