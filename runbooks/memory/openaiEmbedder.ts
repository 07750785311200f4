import type OpenAI from "openai";
import type { Embedder } from "./embedder.ts";

/** Inputs per request: well under the API's limit of 2048, and small enough to retry cheaply. */
const BATCH = 256;

/** Embeddings from an OpenAI-compatible `/v1/embeddings` endpoint. The client is built once and passed in. */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;

  constructor(
    private readonly client: OpenAI,
    private readonly model: string,
    readonly dimension: number,
  ) {
    this.id = `openai:${model}:${dimension}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      const input = texts.slice(i, i + BATCH).map((t) => (t.trim() === "" ? " " : t));
      const res = await this.client.embeddings.create({
        model: this.model,
        input,
        dimensions: this.dimension,
        encoding_format: "float",
      });
      const rows = [...res.data].sort((a, b) => a.index - b.index);
      if (rows.length !== input.length) {
        throw new Error(`embeddings: asked for ${input.length} vectors, got ${rows.length}`);
      }
      for (const row of rows) {
        if (row.embedding.length !== this.dimension) {
          throw new Error(
            `embeddings: model ${this.model} returned ${row.embedding.length} dimensions, expected ${this.dimension}`,
          );
        }
        out.push(Float32Array.from(row.embedding));
      }
    }
    return out;
  }
}
