import { afterEach, describe, expect, it } from "vitest";
import { fixture, retarget, startTestServer, type TestServer } from "../server/helpers.ts";

/** Attack: `GET /api/incidents` served every incident (logs, env, targets) to anyone who could reach it. */
let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

async function withIncident(env: Record<string, string>): Promise<{ srv: TestServer; id: string }> {
  srv = await startTestServer(env);
  const res = await srv.post(retarget(fixture("am-webhook-firing"), "api-auth"));
  const id = ((await res.json()) as { incidents: Array<{ id: string }> }).incidents[0]!.id;
  return { srv, id };
}
const paths = (id: string) => ["/api/incidents", `/api/incidents/${id}`, "/API/incidents", "/api/incidents/"];

describe("reading the API", () => {
  it("needs the API token: none or a wrong one is a 401 with a Bearer challenge", async () => {
    const { srv, id } = await withIncident({ AEGIS_API_TOKEN: "read-me" });
    for (const path of paths(id)) {
      const attempts: Array<Record<string, string>> = [
        {},
        { authorization: "Bearer wrong" },
        { authorization: "Basic cmVhZC1tZQ==" },
      ];
      for (const headers of attempts) {
        const res = await fetch(`${srv.url}${path}`, { headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="aegis"');
        expect(await res.text()).not.toContain("api-auth");
      }
      const ok = await fetch(`${srv.url}${path}`, { headers: { authorization: "Bearer read-me" } });
      expect(ok.status, path).toBe(200);
    }
  });

  it("without a configured token, reads are refused and the reply says how to allow them", async () => {
    const { srv, id } = await withIncident({});
    const res = await fetch(`${srv.url}/api/incidents/${id}`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /AEGIS_API_TOKEN .*AEGIS_API_PUBLIC=true/,
    );
  });

  it("AEGIS_API_PUBLIC=true opens reads", async () => {
    const { srv, id } = await withIncident({ AEGIS_API_PUBLIC: "true", AEGIS_API_TOKEN: "change-me" });
    expect((await fetch(`${srv.url}/api/incidents/${id}`)).status).toBe(200);
    // Health and metrics stay open for probes and Prometheus.
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  });
});
