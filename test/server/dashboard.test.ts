import { afterEach, describe, expect, it } from "vitest";
import type { ApprovalVote } from "../../agent/approvals/approvalDesk.ts";
import { fixture, retarget, startTestServer, type TestServer } from "./helpers.ts";

const TOKEN = "dashboard-test-token-0123456789";
let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** One alert whose annotation carries a secret, on container web-1. */
function alertWithSecret() {
  const payload = retarget(fixture("am-webhook-firing"), "web-1");
  payload.alerts = payload.alerts.slice(0, 1).map((a) => ({
    ...a,
    annotations: { ...a.annotations, description: "db url postgres://app:hunter2@db:5432/app failing" },
  }));
  return payload;
}

async function logIn(url: string, token = TOKEN): Promise<Response> {
  return fetch(`${url}/ui/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
}

const cookieOf = (res: Response) => res.headers.get("set-cookie")!.split(";")[0]!;

describe("dashboard access", () => {
  it("asks for a login unless AEGIS_DASHBOARD_PUBLIC=true, and a login gives an HttpOnly SameSite=Strict cookie", async () => {
    srv = await startTestServer({ AEGIS_API_TOKEN: TOKEN });
    await srv.post(alertWithSecret());
    expect((await fetch(`${srv.url}/ui/api/incidents`)).status).toBe(401);
    expect(await (await fetch(`${srv.url}/ui/api/session`)).json()).toMatchObject({
      read: false,
      canLogIn: true,
    });

    const wrong = await logIn(srv.url, "not-the-token");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();

    const ok = await logIn(srv.url);
    expect(ok.status).toBe(204);
    const setCookie = ok.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);

    const list = await fetch(`${srv.url}/ui/api/incidents`, { headers: { cookie: cookieOf(ok) } });
    expect(list.status).toBe(200);
    const { incidents } = (await list.json()) as { incidents: Array<{ id: string; title: string }> };
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.title).toBe("HighMemory");

    // A tampered cookie reads nothing.
    const forged = cookieOf(ok).replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    expect((await fetch(`${srv.url}/ui/api/incidents`, { headers: { cookie: forged } })).status).toBe(401);
  });

  it("redacts secrets in everything the page reads", async () => {
    srv = await startTestServer({ AEGIS_DASHBOARD_PUBLIC: "true" });
    await srv.post(alertWithSecret());
    const { incidents } = (await (await fetch(`${srv.url}/ui/api/incidents`)).json()) as {
      incidents: Array<{ id: string }>;
    };
    const detail = await (await fetch(`${srv.url}/ui/api/incidents/${incidents[0]!.id}`)).text();
    expect(detail).toContain("db url postgres://app:[redacted]@db:5432/app");
    expect(detail).not.toContain("hunter2");
  });

  it("is read-only without a login when public, and locked with no token and not public", async () => {
    srv = await startTestServer({ AEGIS_DASHBOARD_PUBLIC: "true", AEGIS_API_TOKEN: TOKEN });
    expect((await fetch(`${srv.url}/ui/api/incidents`)).status).toBe(200);
    expect((await fetch(`${srv.url}/ui/api/stats`)).status).toBe(200);
    const approve = await fetch(`${srv.url}/ui/api/incidents/x/approve`, { method: "POST" });
    expect(approve.status).toBe(401);
    await srv.close();

    srv = await startTestServer({});
    expect((await fetch(`${srv.url}/ui/api/incidents`)).status).toBe(401);
    expect(await (await fetch(`${srv.url}/ui/api/session`)).json()).toMatchObject({
      read: false,
      canLogIn: false,
    });
    expect((await logIn(srv.url)).status).toBe(401);
  });
});

describe("dashboard login throttle", () => {
  it("refuses further attempts from an address after five wrong tokens in a minute, even the right one", async () => {
    srv = await startTestServer({ AEGIS_API_TOKEN: TOKEN });
    for (let i = 0; i < 5; i++) expect((await logIn(srv.url, `guess-${i}`)).status).toBe(401);
    const refused = await logIn(srv.url);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("set-cookie")).toBeNull();
  });
});

describe("dashboard approvals", () => {
  it("need the session's CSRF token from the same site; then the answer reaches the agent", async () => {
    const answers: Array<{ id: string; answer: ApprovalVote }> = [];
    srv = await startTestServer(
      { AEGIS_API_TOKEN: TOKEN, AEGIS_MODE: "approve" },
      {
        answerApproval: async (id, answer) => {
          answers.push({ id, answer });
          return { kind: "decided", approved: answer.approved, approvers: [answer.by], expired: false };
        },
      },
    );
    await srv.post(alertWithSecret());
    const id = (srv.db.prepare("SELECT id FROM incidents").get() as { id: string }).id;
    srv.db.prepare("UPDATE incidents SET status = 'awaiting_approval' WHERE id = ?").run(id);

    const cookie = cookieOf(await logIn(srv.url));
    const session = (await (await fetch(`${srv.url}/ui/api/session`, { headers: { cookie } })).json()) as {
      csrf: string;
      canApprove: boolean;
    };
    expect(session.canApprove).toBe(true);
    const approve = (headers: Record<string, string>) =>
      fetch(`${srv!.url}/ui/api/incidents/${id}/approve`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie, ...headers },
        body: "{}",
      });

    expect((await approve({})).status).toBe(403);
    expect((await approve({ "x-aegis-csrf": "wrong" })).status).toBe(403);
    expect((await approve({ "x-aegis-csrf": session.csrf, origin: "https://evil.example" })).status).toBe(
      403,
    );
    expect((await approve({ "x-aegis-csrf": session.csrf, "sec-fetch-site": "cross-site" })).status).toBe(
      403,
    );
    expect(answers).toHaveLength(0);

    const res = await approve({ "x-aegis-csrf": session.csrf, "sec-fetch-site": "same-origin" });
    expect(res.status).toBe(202);
    expect(answers).toEqual([{ id, answer: { approved: true, by: "dashboard", via: "dashboard" } }]);
    expect(await res.json()).toEqual({ id, approved: true, by: "dashboard" });
  });
});

describe("dashboard live feed", () => {
  it("pushes a new incident over server-sent events", async () => {
    srv = await startTestServer({ AEGIS_DASHBOARD_PUBLIC: "true" });
    const controller = new AbortController();
    const res = await fetch(`${srv.url}/ui/api/events`, { signal: controller.signal });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    // The feed takes its first look when the stream opens and says ": ready"; the alert comes after.
    while (!text.includes(": ready\n")) text += (await reader.read()).value ?? "";
    const posted = srv.post(alertWithSecret());
    while (!/event: incident\ndata: .*"HighMemory"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    controller.abort();
    await posted;
    const data = JSON.parse(/event: incident\ndata: (.*)\n/.exec(text)![1]!) as {
      status: string;
      target: string;
    };
    expect(data).toMatchObject({ status: "open", target: "container web-1" });
  });

  it("ends open streams when the server shuts down, so shutdown does not wait out its grace period", async () => {
    srv = await startTestServer({ AEGIS_DASHBOARD_PUBLIC: "true" });
    const res = await fetch(`${srv.url}/ui/api/events`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes(": ready\n")) text += (await reader.read()).value ?? "";
    // A grace period far longer than the test's timeout: only an ended stream lets close() resolve in time.
    await srv.running.close(60_000);
    while (!(await reader.read()).done);
  });
});

describe("dashboard incident list", () => {
  /** One firing alert on `container`, named `alertname` (extra labels merged in). */
  function alertOn(container: string, alertname = "HighMemory", extra: Record<string, string> = {}) {
    const payload = retarget(fixture("am-webhook-firing"), container);
    payload.alerts = payload.alerts.slice(0, 1).map((a) => ({
      ...a,
      labels: { ...a.labels, alertname, ...extra },
      fingerprint: `${container}-${alertname}`,
    }));
    return payload;
  }
  type Page = {
    incidents: Array<{ id: string; target: string; status: string; source: string }>;
    next: string | null;
  };
  const page = async (query: string): Promise<Page> => {
    const res = await fetch(`${srv!.url}/ui/api/incidents?${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };

  it("filters by status, source and target and pages with a cursor; bad filters get a one-line 400", async () => {
    srv = await startTestServer({ AEGIS_DASHBOARD_PUBLIC: "true" });
    for (let n = 0; n < 7; n++) expect((await srv.post(alertOn(`checkout-${n}`))).status).toBe(202);
    await srv.post(alertOn("billing-1"));
    await srv.post(
      alertOn("checkout-leaky", "AegisPredictedExhaustion", {
        aegis_source: "predictive",
        severity: "warning",
      }),
    );
    srv.db.prepare("UPDATE incidents SET status = 'resolved' WHERE target_json LIKE '%billing-1%'").run();

    const all = await page("");
    expect(all.incidents).toHaveLength(9);
    expect(all.incidents[0]!.target).toBe("container checkout-leaky");
    expect(all.incidents[0]!.source).toBe("predictive");

    expect((await page("source=predictive")).incidents.map((r) => r.target)).toEqual([
      "container checkout-leaky",
    ]);
    expect((await page("status=resolved")).incidents.map((r) => r.target)).toEqual(["container billing-1"]);
    expect((await page("target=BILLING")).incidents).toHaveLength(1);
    expect((await page("target=checkout&source=alert&status=resolved")).incidents).toHaveLength(0);

    // Pages of three through the seven alert-sourced checkout incidents, newest first, none twice.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const p: Page = await page(`target=checkout&source=alert&limit=3${cursor ? `&after=${cursor}` : ""}`);
      expect(p.incidents.length).toBeLessThanOrEqual(3);
      seen.push(...p.incidents.map((r) => r.target));
      cursor = p.next;
    } while (cursor);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((n) => `container checkout-${n}`));

    for (const [query, reason] of [
      ["status=healed", /status/],
      ["source=email", /source/],
      ["limit=0", /limit/],
      ["after=no-such-id", /no incident no-such-id/],
      ["sort=asc", /sort/],
    ] as const) {
      const res = await fetch(`${srv.url}/ui/api/incidents?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { message: string };
      expect(body.message).toMatch(reason);
      expect(body.message).not.toContain("\n");
    }
  });
});
