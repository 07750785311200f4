/**
 * Text in untrusted data that reads like instructions to a model. Finding it changes nothing the planner
 * may do (the guard decides that); it is reported so people see that someone tried.
 */
const INSTRUCTION_LIKE = [
  /\b(ignore|disregard|forget|override)\b.{0,30}\b(previous|prior|above|earlier|all|your)\b.{0,20}\b(instructions?|prompts?|rules?|context)\b/i,
  /\byou are now\b|\bnew instructions?\s*:|\bsystem prompt\b/i,
  /\b(delete|drop|destroy|wipe)\s+(the\s+)?(namespace|cluster|database|volume|all)\b/i,
  /\b(run|execute)\s+(this\s+)?(command|shell|script|kubectl|rm -rf)\b/i,
];

const MAX_FINDINGS = 3;
const MAX_EXCERPT = 120;

/** Strings in `value` (walked recursively) that look like instructions, as short excerpts. */
export function suspectedInjections(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (found.size >= MAX_FINDINGS || depth > 16) return;
    if (typeof v === "string") {
      if (INSTRUCTION_LIKE.some((p) => p.test(v))) found.add(v.trim().slice(0, MAX_EXCERPT));
      return;
    }
    if (v && typeof v === "object") for (const item of Object.values(v)) visit(item, depth + 1);
  };
  visit(value, 0);
  return [...found];
}
