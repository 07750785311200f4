import { createHash } from "node:crypto";
import type { Embedder } from "./embedder.ts";
import { conceptsOf, contentTokens } from "./textFeatures.ts";

/** Weights of the feature kinds, relative to a word of IDF 1. */
const WEIGHTS = { concept: 5, bigram: 0.5, chargram: 0.35 } as const;

/** Document frequencies the IDF weights come from. */
export interface IdfTable {
  documents: number;
  df: Record<string, number>;
}

/** Count, per token, how many of the documents contain it. */
export function fitIdf(documents: readonly string[]): IdfTable {
  const df: Record<string, number> = {};
  for (const doc of documents) {
    for (const t of new Set(contentTokens(doc))) df[t] = (df[t] ?? 0) + 1;
  }
  return { documents: documents.length, df };
}

/**
 * The default embedder: no download, no network. Hashed features (stemmed words weighted by IDF, word
 * bigrams, character 4-grams for spelling variants, and concept tags from a small operations lexicon)
 * folded into `dimension` signed buckets, then L2-normalised. Deterministic for the same IDF table.
 */
export class LocalHashEmbedder implements Embedder {
  readonly id: string;
  private readonly maxIdf: number;

  constructor(
    private readonly idf: IdfTable = { documents: 0, df: {} },
    readonly dimension = 256,
  ) {
    this.maxIdf = Math.log((idf.documents + 1) / 1) + 1;
    // The IDF table is part of the identity: vectors made with other weights are not comparable.
    const digest = createHash("sha256")
      .update(JSON.stringify([idf.documents, Object.entries(idf.df).sort()]))
      .digest("hex")
      .slice(0, 10);
    this.id = `local-hash-v1:${dimension}:${digest}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  /** Synchronous form, for callers that embed many texts in a loop. */
  embedOne(text: string): Float32Array {
    const features = new Map<string, number>();
    const add = (key: string, w: number) => features.set(key, (features.get(key) ?? 0) + w);
    const tokens = contentTokens(text);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const w = this.weight(t);
      add(`w:${t}`, w);
      const next = tokens[i + 1];
      if (next !== undefined) add(`b:${t}_${next}`, WEIGHTS.bigram * Math.min(w, this.weight(next)));
      if (t.length >= 5 && !/^\d+$/.test(t)) {
        const padded = `^${t}$`;
        const n = padded.length - 3;
        for (let j = 0; j < n; j++) add(`c:${padded.slice(j, j + 4)}`, (WEIGHTS.chargram * w) / Math.sqrt(n));
      }
    }
    // Concepts count every time they occur: a runbook that talks about OOM throughout is about OOM.
    for (const c of conceptsOf(tokens)) add(`k:${c}`, WEIGHTS.concept * 2);
    const v = new Float32Array(this.dimension);
    for (const [key, w] of features) {
      const h = fnv1a(key);
      // Repeated features count less than linearly, so one noisy log line cannot dominate.
      v[h % this.dimension]! += (h & 0x80000000 ? -1 : 1) * Math.sqrt(w);
    }
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
    if (norm > 0) {
      const s = 1 / Math.sqrt(norm);
      for (let i = 0; i < v.length; i++) v[i]! *= s;
    }
    return v;
  }

  private weight(token: string): number {
    const df = this.idf.df[token];
    if (df === undefined) return this.idf.documents === 0 ? 1 : this.maxIdf * 0.8;
    return Math.log((this.idf.documents + 1) / (df + 1)) + 1;
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
