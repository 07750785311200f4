import { AegisError } from "../../core/errors.ts";
import type { Incident } from "../../core/types.ts";
import type { AgentDeps } from "../deps.ts";

/** Read the incident a graph run is about; a missing one is a bug, not a user error. */
export async function loadIncident(deps: AgentDeps, id: string): Promise<Incident> {
  const incident = await deps.incidents.get(id);
  if (!incident) throw new AegisError("not_found", `incident ${id} does not exist`);
  return incident;
}
