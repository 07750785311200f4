/** List prices in USD per million tokens (input, output), by model name prefix; longest prefix wins. */
const PRICES: ReadonlyArray<[prefix: string, input: number, output: number]> = [
  ["gpt-4o-mini", 0.15, 0.6],
  ["gpt-4o", 2.5, 10],
  ["gpt-4.1-nano", 0.1, 0.4],
  ["gpt-4.1-mini", 0.4, 1.6],
  ["gpt-4.1", 2, 8],
  ["gpt-5-nano", 0.05, 0.4],
  ["gpt-5-mini", 0.25, 2],
  ["gpt-5", 1.25, 10],
  ["o4-mini", 1.1, 4.4],
];

/** Estimated cost of a model's tokens; null for a model without a known price (local servers). */
export function estimateCostUsd(model: string, tokensIn: number, tokensOut: number): number | null {
  const match = PRICES.filter(([prefix]) => model.startsWith(prefix)).sort(
    (a, b) => b[0].length - a[0].length,
  )[0];
  if (!match) return null;
  const [, input, output] = match;
  return Math.round(((tokensIn * input + tokensOut * output) / 1e6) * 1e6) / 1e6;
}
