import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./postgres.ts";

/** The PostgreSQL leg of the store matrix: one throwaway server for the whole leg, removed after it. */
export default async function setup(project: TestProject): Promise<() => void> {
  const server = await startTestPostgres();
  project.provide("postgresBaseUrl", server.baseUrl);
  return () => server.stop();
}
