import type { Incident } from "../../core/types.ts";

/**
 * An incident as the store returns it, for tests of what reads incidents (metrics, Slack blocks, paging,
 * autonomy): a Docker container `web`, nothing decided yet; `over` sets what the test looks at.
 */
export const incidentFor = (over: Partial<Incident> & Pick<Incident, "id" | "status">): Incident => ({
  statusReason: null,
  alerts: [],
  target: { kind: "docker_container", key: "docker:web", name: "web" },
  evidence: null,
  decision: null,
  actions: [],
  verification: null,
  timeline: [],
  receivedAt: "2026-01-01T00:00:00.000Z",
  decidedAt: null,
  actedAt: null,
  verifiedAt: null,
  resolvedAt: null,
  mttrMs: null,
  ...over,
});
