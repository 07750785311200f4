import "./style.css";
import { html } from "htm/preact";
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, getJson, postJson, type IncidentRow, type Session } from "./api.ts";
import { IncidentPage, type IncidentDoc } from "./incident.ts";
import { IncidentList } from "./list.ts";
import { Login } from "./login.ts";
import { Overview } from "./overview.ts";
import { Runbooks } from "./runbooks.ts";

type Route =
  | { page: "list" }
  | { page: "incident"; id: string }
  | { page: "overview" }
  | { page: "runbooks"; key: string | null };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "incidents" && parts[1]) return { page: "incident", id: parts[1] };
  if (parts[0] === "overview") return { page: "overview" };
  if (parts[0] === "runbooks") return { page: "runbooks", key: parts[1] ?? null };
  return { page: "list" };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** Incident rows kept current by the server-sent events; `version` moves with every change. */
function useIncidents(enabled: boolean) {
  const [rows, setRows] = useState<IncidentRow[]>([]);
  const [live, setLive] = useState(false);
  const [changed, setChanged] = useState<{ id: string; n: number }>({ id: "", n: 0 });
  useEffect(() => {
    if (!enabled) return;
    let closed = false;
    const source = new EventSource("/ui/api/events");
    source.onopen = () => {
      setLive(true);
      // (Re)load the list on every (re)connection: nothing missed while disconnected stays missing.
      getJson<{ incidents: IncidentRow[] }>("/ui/api/incidents")
        .then((r) => !closed && setRows(r.incidents))
        .catch(() => undefined);
    };
    source.onerror = () => setLive(false);
    source.addEventListener("incident", (e) => {
      const row = JSON.parse((e as MessageEvent<string>).data) as IncidentRow;
      setRows((old) =>
        [row, ...old.filter((r) => r.id !== row.id)].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt)),
      );
      setChanged((c) => ({ id: row.id, n: c.n + 1 }));
    });
    return () => {
      closed = true;
      source.close();
    };
  }, [enabled]);
  return { rows, live, changed };
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadSession = useCallback(() => {
    getJson<Session>("/ui/api/session")
      .then(setSession)
      .catch((err: Error) => setError(err.message));
  }, []);
  useEffect(loadSession, []);
  const { rows, live, changed } = useIncidents(session?.read === true);

  if (error) return html`<p class="error">${error}</p>`;
  if (!session) return html`<p class="muted">Loading…</p>`;
  const logout = async () => {
    await postJson("/ui/logout", {});
    loadSession();
  };

  return html`<header>
      <h1><a href="#/">AegisOps</a></h1>
      <nav>
        <a href="#/" class=${route.page === "list" || route.page === "incident" ? "active" : ""}>Incidents</a>
        <a href="#/overview" class=${route.page === "overview" ? "active" : ""}>Overview</a>
        <a href="#/runbooks" class=${route.page === "runbooks" ? "active" : ""}>Runbooks</a>
      </nav>
      <span class="who">
        ${
          session.loggedIn
            ? html`<span data-testid="logged-in">logged in</span>
                <button class="link" onClick=${logout}>log out</button>`
            : session.read
              ? html`read-only · <a href="#/login">log in</a>`
              : ""
        }
      </span>
    </header>
    <main>
      ${
        !session.read || (location.hash === "#/login" && !session.loggedIn)
          ? html`<${Login}
              session=${session}
              onDone=${() => {
                if (location.hash === "#/login") location.hash = "#/";
                loadSession();
              }}
            />`
          : route.page === "incident"
            ? html`<${IncidentLoader} id=${route.id} session=${session} changed=${changed} />`
            : route.page === "overview"
              ? html`<${Overview} version=${changed.n} />`
              : route.page === "runbooks"
                ? html`<${Runbooks} selected=${route.key} />`
                : html`<${IncidentList} rows=${rows} live=${live} />`
      }
    </main>`;
}

function IncidentLoader(props: { id: string; session: Session; changed: { id: string; n: number } }) {
  const [incident, setIncident] = useState<IncidentDoc | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    getJson<IncidentDoc>(`/ui/api/incidents/${encodeURIComponent(props.id)}`)
      .then((i) => {
        setIncident(i);
        setError(null);
      })
      .catch((err: Error) =>
        setError(err instanceof ApiError && err.status === 404 ? "No such incident." : err.message),
      );
  }, [props.id, props.changed.id === props.id ? props.changed.n : -1, tick]);
  if (error) return html`<p class="error">${error}</p>`;
  if (!incident || incident.id !== props.id) return html`<p class="muted">Loading…</p>`;
  return html`<${IncidentPage}
    incident=${incident}
    session=${props.session}
    onChanged=${() => setTick((t) => t + 1)}
  />`;
}

render(html`<${App} />`, document.getElementById("app")!);
