import type { Config } from "../core/config.ts";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { openRunbookMemory, type EmbedderChoice, type OpenedMemory } from "../runbooks/memory/openMemory.ts";
import type { Db } from "../store/db.ts";

/** The embedder the config asks for: OpenAI (client built here, once) when configured, else the local one. */
export async function embedderFromConfig(config: Readonly<Config>): Promise<EmbedderChoice> {
  if (config.embedding.provider === "openai") {
    // Loaded only when asked for: the OpenAI SDK is not free to import, and most runs never use it.
    const { default: OpenAI } = await import("openai");
    const client = new OpenAI({
      apiKey: config.openai.apiKey ?? "unset",
      ...(config.openai.baseUrl ? { baseURL: config.openai.baseUrl } : {}),
    });
    return { kind: "openai", client, model: config.embedding.model, dimension: config.embedding.dimensions };
  }
  return { kind: "local" };
}

/**
 * Open the runbook memory on `db` and load a runbook directory into it. Bad runbook files are logged with
 * file and line; the others load.
 */
export async function openMemory(
  config: Readonly<Config>,
  db: Db,
  logger: Logger,
  opts: { runbooksDir?: string },
): Promise<OpenedMemory> {
  const dir = opts.runbooksDir ? { runbooksDir: opts.runbooksDir } : {};
  const choice = await embedderFromConfig(config);
  let opened: OpenedMemory;
  try {
    opened = await openRunbookMemory(db, { ...dir, embedder: choice });
  } catch (err) {
    if (choice.kind !== "openai") throw err;
    // An unreachable embeddings endpoint must not keep the responder down: the local embedder needs nothing.
    logger.warn({ err: describeError(err) }, "OpenAI embeddings unavailable; using the local embedder");
    opened = await openRunbookMemory(db, { ...dir, embedder: { kind: "local" } });
  }
  for (const p of opened.problems) {
    logger.warn({ file: p.file, line: p.line }, `runbook not loaded: ${p.file}:${p.line}: ${p.message}`);
  }
  return opened;
}
