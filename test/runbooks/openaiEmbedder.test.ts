import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { OpenAIEmbedder } from "../../runbooks/memory/openaiEmbedder.ts";
import { SqliteRunbookMemory } from "../../runbooks/memory/runbookMemory.ts";
import { openDatabase } from "../../store/db.ts";
import { readRunbookDir } from "../../runbooks/memory/runbookParser.ts";
import { RUNBOOKS_DIR, tempDir } from "./helpers.ts";

interface EmbeddingsRequest {
  model: string;
  input: string[];
  dimensions?: number;
  encoding_format?: string;
}

/** A local server speaking the real `/v1/embeddings` wire format; vectors are letter counts of each input. */
async function startEmbeddingsServer(dim: number) {
  const requests: Array<{ auth: string | undefined; body: EmbeddingsRequest }> = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== "POST" || req.url !== "/v1/embeddings") {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: "no" } }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as EmbeddingsRequest;
    requests.push({ auth: req.headers.authorization, body });
    // Answer in reverse order: clients must place vectors by `index`, not by position.
    const data = body.input
      .map((text, index) => {
        const v = new Array<number>(dim).fill(0);
        for (const ch of text.toLowerCase()) {
          const i = ch.charCodeAt(0) - 97;
          if (i >= 0 && i < 26) v[i % dim]! += 1;
        }
        return { object: "embedding", index, embedding: v };
      })
      .reverse();
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        object: "list",
        data,
        model: body.model,
        usage: { prompt_tokens: body.input.length, total_tokens: body.input.length },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    requests,
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("OpenAI embedder", () => {
  it("sends model, inputs and dimensions, and returns vectors in input order", async () => {
    const srv = await startEmbeddingsServer(26);
    cleanups.push(srv.close);
    const client = new OpenAI({ apiKey: "sk-test", baseURL: srv.baseURL, maxRetries: 0 });
    const embedder = new OpenAIEmbedder(client, "text-embedding-3-small", 26);

    const [a, b] = await embedder.embed(["aaa", "bb"]);

    expect(embedder.id).toBe("openai:text-embedding-3-small:26");
    expect(srv.requests).toEqual([
      {
        auth: "Bearer sk-test",
        body: {
          model: "text-embedding-3-small",
          input: ["aaa", "bb"],
          dimensions: 26,
          encoding_format: "float",
        },
      },
    ]);
    expect(a![0]).toBe(3);
    expect(b![1]).toBe(2);
  });

  it("fails clearly when the model returns another dimension", async () => {
    const srv = await startEmbeddingsServer(8);
    cleanups.push(srv.close);
    const client = new OpenAI({ apiKey: "sk-test", baseURL: srv.baseURL, maxRetries: 0 });
    await expect(new OpenAIEmbedder(client, "m", 26).embed(["x"])).rejects.toThrow(
      /returned 8 dimensions, expected 26/,
    );
  });

  it("embeds the runbooks into the memory, which then answers searches", async () => {
    const srv = await startEmbeddingsServer(26);
    cleanups.push(srv.close);
    const t = tempDir();
    cleanups.push(t.cleanup);
    const db = openDatabase(`${t.dir}/aegis.db`);
    cleanups.push(() => db.close());
    const client = new OpenAI({ apiKey: "sk-test", baseURL: srv.baseURL, maxRetries: 0 });
    const memory = await SqliteRunbookMemory.open(
      db,
      new OpenAIEmbedder(client, "text-embedding-3-small", 26),
    );
    await memory.importRunbooks(readRunbookDir(RUNBOOKS_DIR).runbooks);

    expect(memory.stats()).toMatchObject({
      embedder: "openai:text-embedding-3-small:26",
      dimension: 26,
      runbooks: 14,
    });
    const hits = await memory.search("Kafka consumer lag growing", 3);
    expect(hits[0]!.key).toBe("kafka_lag");
  });
});
