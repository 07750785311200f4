import { throughPolicy } from "./domain.ts";
import { hostOf, jobMatches, type LabelTable, type Labels } from "./table.ts";

const firstLabel = (host: string | undefined) => host?.split(".")[0];
/** Names the database may be known by: its server's host (and the host's first DNS label), the exporter's. */
const candidates = (l: Labels): Array<string | undefined> => {
  const server = hostOf(l.server);
  const instance = hostOf(l.instance);
  return [
    l.database,
    l.service,
    l.dbinstance_identifier,
    server,
    firstLabel(server),
    instance,
    firstLabel(instance),
  ];
};

/**
 * Database exporters (postgres_exporter `server`/`datname`, mysqld_exporter, redis_exporter, mongodb_exporter, RDS
 * through CloudWatch): the exporter's `instance` is not the database's workload, so only the policy maps it.
 */
export const DATABASES: LabelTable = {
  name: "databases",
  source:
    "postgres_exporter, mysqld_exporter, redis_exporter, mongodb_exporter, RDS via cloudwatch_exporter (awesome-prometheus-alerts)",
  rows: [
    {
      needs: [],
      when: (l) =>
        Boolean(l.database || l.server || l.datname || l.dbinstance_identifier) ||
        jobMatches(/postgres|mysql|mariadb|redis|mongo|rds|pgbouncer/i)(l),
      resolve: (l, ctx) => {
        const names = candidates(l);
        const known = names.filter((n): n is string => Boolean(n));
        const shown =
          l.database ??
          l.server ??
          l.dbinstance_identifier ??
          (l.datname ? `with a database named ${l.datname}` : l.instance);
        return throughPolicy(
          l,
          ctx,
          `database ${shown ?? "(unnamed)"}`,
          names,
          (s) => s.database !== undefined && known.includes(s.database.service),
        );
      },
    },
  ],
};
