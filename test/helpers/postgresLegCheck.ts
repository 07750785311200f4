import { afterAll } from "vitest";
import { databasesTaken } from "./postgresLeg.ts";

// A file listed for the PostgreSQL leg that builds its AegisOps without storeEnv() would silently run on SQLite
// again: the leg fails it instead.
afterAll(() => {
  if (databasesTaken() === 0)
    throw new Error(
      "this file is on the PostgreSQL leg (vitest.config.ts) but opened no PostgreSQL store: build its AegisOps " +
        "with storeEnv() from test/helpers/postgresLeg.ts",
    );
});
