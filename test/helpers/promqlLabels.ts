import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";

/** Label set of a PromQL result (null: a scalar). */
type Out = Record<string, string> | null;
/** Every label each metric's series carries, as its exporter exposes it and the scrape adds it. */
export type SeriesLabels = Record<string, Record<string, string>>;

const SET_OPS = new Set(["And", "Or", "Unless"]);
const COMPARISONS = new Set(["Eql", "Neq", "Gtr", "Lss", "Gte", "Lte"]);

/**
 * The labels an alert gets from its rule's expression, as Prometheus computes them: a selector keeps its series'
 * labels, an aggregation keeps its `by` labels (or drops its `without` ones), vector matching keeps the left side's
 * labels (only the `on` ones in one-to-one matching, plus `group_left` extras), set operators keep the left side.
 * Only label names are tracked, with the value of the first series of each metric in `series`.
 */
export function alertLabelsOf(expr: string, series: SeriesLabels): Record<string, string> {
  const tree = parser.parse(expr);
  const top = tree.topNode.firstChild;
  if (!top) throw new Error(`empty expression: ${expr}`);
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const kids = (n: SyntaxNode): SyntaxNode[] => {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  };
  const groupingLabels = (n: SyntaxNode | undefined) =>
    n
      ? kids(n)
          .filter((c) => c.name === "LabelName")
          .map(text)
      : [];
  const pick = (labels: Out, keep: (k: string) => boolean): Out =>
    labels && Object.fromEntries(Object.entries(labels).filter(([k]) => keep(k)));

  function evalNode(n: SyntaxNode): Out {
    switch (n.name) {
      case "NumberDurationLiteral":
      case "StringLiteral":
        return null;
      case "ParenExpr":
      case "OffsetExpr":
      case "SubqueryExpr":
      case "MatrixSelector":
      case "StepInvariantExpr":
        return evalNode(kids(n).find((c) => c.name !== "(")!);
      case "UnaryExpr":
        return pick(evalNode(kids(n)[1]!), (k) => k !== "__name__");
      case "VectorSelector": {
        const id = kids(n).find((c) => c.name === "Identifier");
        if (!id) throw new Error(`selector without a metric name: ${text(n)}`);
        const name = text(id);
        const labels = series[name];
        if (!labels) throw new Error(`no series labels for metric ${name} in the fixture`);
        // An equality matcher fixes the label's value; `label=""` selects series without that label.
        const equal = Object.fromEntries(
          [...text(n).matchAll(/([a-zA-Z_]\w*)\s*=\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
        );
        const own = { ...labels, ...equal };
        return { __name__: name, ...pick(own, (k) => own[k] !== "") };
      }
      case "FunctionCall": {
        const fn = text(kids(n)[0]!);
        const args = kids(kids(n)[1]!).filter((c) => !["(", ")", ","].includes(c.name));
        if (fn === "time" || fn === "scalar" || fn === "vector") return fn === "vector" ? {} : null;
        if (fn === "absent" || fn === "absent_over_time") {
          // absent() gets the equality matchers of its selector, nothing else.
          const sel = text(args[0]!);
          return Object.fromEntries(
            [...sel.matchAll(/([a-zA-Z_]\w*)\s*=\s*"([^"]*)"/g)].map((m) => [m[1], m[2]]),
          );
        }
        const vectorArg = args.map(evalNode).find((o) => o !== null) ?? null;
        let out = pick(vectorArg, (k) => k !== "__name__" && !(fn === "histogram_quantile" && k === "le"));
        if (fn === "label_replace" && out) out = { ...out, [JSON.parse(text(args[1]!)) as string]: "x" };
        return out;
      }
      case "AggregateExpr": {
        const op = text(kids(n)[0]!).toLowerCase();
        const mod = kids(n).find((c) => c.name === "AggregateModifier");
        const body = kids(n).find((c) => c.name === "FunctionCallBody")!;
        const args = kids(body).filter((c) => !["(", ")", ","].includes(c.name));
        const inner = evalNode(args[args.length - 1]!);
        if (op === "topk" || op === "bottomk" || op === "limitk") return inner;
        const by = mod && kids(mod).some((c) => c.name === "By");
        const list = groupingLabels(kids(mod ?? n).find((c) => c.name === "GroupingLabels"));
        if (!mod) return {};
        return pick(inner, (k) => k !== "__name__" && (by ? list.includes(k) : !list.includes(k)));
      }
      case "BinaryExpr": {
        const parts = kids(n);
        const lhs = evalNode(parts[0]!);
        const rhs = evalNode(parts[parts.length - 1]!);
        const op = parts[1]!.name;
        if (lhs === null || rhs === null) {
          const v = lhs ?? rhs;
          return COMPARISONS.has(op) ? v : pick(v, (k) => k !== "__name__");
        }
        if (SET_OPS.has(op)) return lhs;
        const clause = parts.find((c) => c.name === "MatchingModifierClause");
        const keepName = COMPARISONS.has(op) && !parts.some((c) => c.name === "BoolModifier");
        const strip = (o: Out) => pick(o, (k) => keepName || k !== "__name__");
        if (!clause) return strip(lhs);
        const ck = kids(clause);
        const on = ck.some((c) => c.name === "On");
        const matchList = groupingLabels(ck.find((c) => c.name === "GroupingLabels"));
        const groupLeft = ck.findIndex((c) => c.name === "GroupLeft");
        const groupRight = ck.findIndex((c) => c.name === "GroupRight");
        if (groupLeft >= 0 || groupRight >= 0) {
          const [many, one] = groupLeft >= 0 ? [lhs, rhs] : [rhs, lhs];
          const extraNode = ck[(groupLeft >= 0 ? groupLeft : groupRight) + 1];
          const extra = extraNode?.name === "GroupingLabels" ? groupingLabels(extraNode) : [];
          return strip({ ...many, ...pick(one, (k) => extra.includes(k)) });
        }
        return strip(pick(lhs, (k) => (on ? matchList.includes(k) : !matchList.includes(k))));
      }
      default:
        throw new Error(`PromQL node ${n.name} is not handled: ${text(n)}`);
    }
  }
  const out = evalNode(top) ?? {};
  delete out.__name__;
  return out;
}
