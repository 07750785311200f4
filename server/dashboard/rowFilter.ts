/**
 * Which incident rows a dashboard list shows. Pure and import-free: the server filters pages with it and the
 * page applies it to rows the live feed pushes, so a row that stops matching leaves the list.
 */

/** Where an incident came from: an alert from Alertmanager or a prediction of the watcher. */
export type IncidentSource = "alert" | "predictive";

export interface RowFilter {
  status?: string | undefined;
  /** Case-insensitive part of the target's name (service, container, namespace/workload, node). */
  target?: string | undefined;
  source?: IncidentSource | undefined;
}

/** What the filter looks at in a row. */
export interface FilterableRow {
  status: string;
  target: string;
  source: IncidentSource;
}

/** True when the row passes every criterion the filter sets. */
export function matchesFilter(row: FilterableRow, filter: RowFilter): boolean {
  if (filter.status && row.status !== filter.status) return false;
  if (filter.source && row.source !== filter.source) return false;
  if (filter.target && !row.target.toLowerCase().includes(filter.target.toLowerCase())) return false;
  return true;
}
