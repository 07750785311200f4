import { describe, expect, it } from "vitest";
import { useScriptedOpenAI } from "../../../helpers/useScriptedOpenAI.ts";
import type { Target } from "../../../../core/types.ts";
import { useSimPlatform } from "../../../helpers/simPlatform.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";
import { answer, llmPlanner, plannerInput } from "./helpers.ts";

// The Kubernetes read tools the model is offered, over the project's Kubernetes API simulator: bound to the
// incident's namespace and workload (or node), as the Docker ones are bound to the container.
const server = useScriptedOpenAI();
const k8s = useSimPlatform({ per: "file" });

const checkout = k8sWorkload("checkout");

const podsIn = async (namespace: string) =>
  (await k8s.kube.core.listNamespacedPod({ namespace })).items.map((p) => ({
    name: p.metadata!.name!,
    node: p.spec?.nodeName ?? "",
  }));

const planner = () => llmPlanner(server.baseUrl, { toolsFor: (t) => k8s.platform.readOnlyTools!(t) });
const input = (target: Target) => ({ ...plannerInput(), target });
const toolResults = (i: number) =>
  (server.requests[i]?.messages ?? []).filter((m) => m.role === "tool").map((m) => String(m.content));

describe("Kubernetes read tools offered to the model", () => {
  it("are bound to the incident's namespace and deployment: no namespace to choose, another one refused", async () => {
    const [system] = await podsIn("kube-system");
    expect(system).toBeDefined();
    server.push(
      {
        expect: (req) => {
          const logs = req.tools?.find((t) => t.function.name === "k8s_pod_logs")?.function;
          expect(JSON.stringify(logs?.parameters)).not.toContain('"namespace"');
          expect(logs?.description).toMatch(/Bound to this incident's namespace shop\./);
          const history = req.tools?.find((t) => t.function.name === "k8s_rollout_history")?.function;
          expect(JSON.stringify(history?.parameters)).not.toContain('"deployment"');
        },
        toolCalls: [
          { name: "k8s_pod_logs", arguments: { namespace: "kube-system", pod: system!.name } },
          { name: "k8s_list_pods", arguments: {} },
          { name: "k8s_rollout_history", arguments: {} },
        ],
      },
      { content: "The checkout pods look fine." },
      { toolCalls: [{ name: "submit_decision", arguments: answer({ action: "rollout_restart" }) }] },
    );
    const d = await planner().decide(input(checkout));

    const [logs, pods, history] = toolResults(1);
    expect(logs).toMatch(
      /k8s_pod_logs is bound to this incident's namespace shop: namespace \\?"kube-system\\?" is outside it/,
    );
    expect(pods).toContain("checkout-");
    expect(pods).not.toContain(system!.name);
    expect(history).toContain("checkout");
    expect(d.planner).toBe("llm");
    expect(d.notes).toContain(
      `the model's call to k8s_pod_logs failed: k8s_pod_logs is bound to this incident's namespace shop: namespace "kube-system" is outside it`,
    );
  });

  it("read a node's status only where a pod of the incident's namespace runs", async () => {
    const shopNodes = new Set((await podsIn("shop")).map((p) => p.node));
    const nodes = (await k8s.kube.core.listNode()).items.map((n) => n.metadata!.name!);
    const used = nodes.find((n) => shopNodes.has(n))!;
    server.push(
      {
        toolCalls: [
          { name: "k8s_node_status", arguments: { node: used } },
          { name: "k8s_node_status", arguments: { node: "control-plane-secret-node" } },
        ],
      },
      { content: "ok" },
      { toolCalls: [{ name: "submit_decision", arguments: answer({ action: "rollout_restart" }) }] },
    );
    await planner().decide(input(checkout));
    const [ok, outside] = toolResults(1);
    expect(ok).toContain(`"name":"${used}"`);
    expect(outside).toMatch(
      /node control-plane-secret-node runs no pod of namespace shop: outside this incident/,
    );
  });

  it("on a node incident, are bound to the node: its pods, its status, and logs only of pods on it", async () => {
    const all = [...(await podsIn("shop")), ...(await podsIn("kube-system"))];
    const nodeName = all[0]!.node;
    const elsewhere = all.find((p) => p.node !== nodeName)!;
    expect(elsewhere).toBeDefined();
    const node: Target = { kind: "k8s_node", key: `k8s::node/${nodeName}`, name: nodeName };
    server.push(
      {
        expect: (req) =>
          expect(req.tools?.map((t) => t.function.name).sort()).toEqual(
            [
              "k8s_list_pods",
              "k8s_node_status",
              "k8s_events",
              "k8s_pod_logs",
              "recall_runbook_memory",
            ].sort(),
          ),
        toolCalls: [
          { name: "k8s_list_pods", arguments: {} },
          { name: "k8s_pod_logs", arguments: { namespace: "shop", pod: elsewhere.name } },
        ],
      },
      { content: "ok" },
      { toolCalls: [{ name: "submit_decision", arguments: answer({ action: "cordon_drain_node" }) }] },
    );
    const d = await planner().decide(input(node));
    const [pods, logs] = toolResults(1);
    for (const p of all.filter((x) => x.node !== nodeName)) expect(pods).not.toContain(`"${p.name}"`);
    expect(pods).toContain(all[0]!.name);
    expect(logs).toMatch(new RegExp(`is not on node ${nodeName}: outside this incident`));
    expect(d.action).toBe("cordon_drain_node");
  });
});
