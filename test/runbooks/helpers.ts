import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FixRecord } from "../../runbooks/memory/fixMemory.ts";
import { openRunbookMemory, type EmbedderChoice } from "../../runbooks/memory/openMemory.ts";
import type { MemoryOptions } from "../../runbooks/memory/runbookMemory.ts";
import { openDatabase, type Db } from "../../store/db.ts";

/** The runbooks shipped in the repository. */
export const RUNBOOKS_DIR = join(import.meta.dirname, "..", "..", "runbooks");

/** A temp directory removed by `cleanup`. */
export function tempDir(prefix = "aegis-memory-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Open the database file and the memory on it, loaded with the bundled runbooks. */
export async function openTestMemory(
  dbPath: string,
  opts: { embedder?: EmbedderChoice; memory?: Partial<MemoryOptions>; runbooksDir?: string } = {},
): Promise<{ db: Db } & Awaited<ReturnType<typeof openRunbookMemory>>> {
  const db = openDatabase(dbPath, "normal");
  const opened = await openRunbookMemory(db, {
    runbooksDir: opts.runbooksDir ?? RUNBOOKS_DIR,
    embedder: opts.embedder ?? { kind: "local" },
    ...(opts.memory ? { memory: opts.memory } : {}),
  });
  return { db, ...opened };
}

/** A checkout incident answering HTTP 500 because its connection pool is exhausted. */
export function checkout5xx(
  incidentId: string,
  outcome: FixRecord["outcome"],
  action: FixRecord["action"] = "restart_container",
): FixRecord {
  return {
    incidentId,
    signature: ["health_failing", "http_errors"],
    family: "http_5xx",
    action,
    outcome,
    targetKind: "docker_container",
    alertNames: ["CheckoutErrors"],
    services: ["checkout"],
    text:
      "CheckoutErrors\nservice checkout\ncheckout answers 500 to a third of requests\n" +
      "http errors: 40 log lines with status 500\nERROR pg pool exhausted: timeout acquiring connection",
  };
}
