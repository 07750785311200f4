import "./style.css";
import { html } from "htm/preact";
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { matchesFilter, type RowFilter } from "../rowFilter.ts";
import { ApiError, getJson, postJson, type IncidentRow, type Session } from "./api.ts";
import { IncidentPage, type IncidentDoc } from "./incident.ts";
import { IncidentList, type ListState } from "./list.ts";
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

interface Page {
  incidents: IncidentRow[];
  next: string | null;
  window?: number;
}

function listQuery(filter: RowFilter, after?: string): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, String(v));
  if (after) q.set("after", after);
  return q.toString();
}

/**
 * Incident rows kept current by the server-sent events, filtered and paged; `changed` moves with every
 * change (of any incident, filtered or not: the incident page listens to it).
 */
function useIncidents(enabled: boolean, filter: RowFilter) {
  const [list, setList] = useState<ListState>({
    rows: [],
    next: null,
    window: null,
    loading: true,
    loaded: null,
  });
  const [live, setLive] = useState(false);
  const [changed, setChanged] = useState<{ id: string; n: number }>({ id: "", n: 0 });
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const generation = useRef(0);

  const load = useCallback((after?: string) => {
    const mine = ++generation.current;
    setList((l) => ({ ...l, loading: true }));
    const query = listQuery(filterRef.current, after);
    getJson<Page>(`/ui/api/incidents${query ? `?${query}` : ""}`)
      .then((p) => {
        if (mine !== generation.current) return; // a newer filter asked since
        setList((l) => ({
          rows: after
            ? [...l.rows, ...p.incidents.filter((r) => !l.rows.some((o) => o.id === r.id))]
            : p.incidents,
          next: p.next,
          window: p.window ?? null,
          loading: false,
          loaded: query,
        }));
      })
      .catch(() => mine === generation.current && setList((l) => ({ ...l, loading: false })));
  }, []);

  const filterKey = JSON.stringify(filter);
  useEffect(() => {
    if (enabled) load();
  }, [enabled, filterKey]);

  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource("/ui/api/events");
    // (Re)load the list on every (re)connection: nothing missed while disconnected stays missing.
    source.onopen = () => {
      setLive(true);
      load();
    };
    source.onerror = () => setLive(false);
    source.addEventListener("incident", (e) => {
      const row = JSON.parse((e as MessageEvent<string>).data) as IncidentRow;
      const keep = matchesFilter(row, filterRef.current);
      setList((l) => {
        const others = l.rows.filter((r) => r.id !== row.id);
        const known = others.length !== l.rows.length;
        // A new row shows when it matches and is newer than the oldest shown (older ones come with paging).
        const oldest = l.rows.at(-1)?.receivedAt ?? "";
        const show = keep && (known || !l.next || row.receivedAt >= oldest);
        const rows = show ? [row, ...others] : others;
        return { ...l, rows: rows.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt)) };
      });
      setChanged((c) => ({ id: row.id, n: c.n + 1 }));
    });
    return () => source.close();
  }, [enabled]);
  return { list, live, changed, more: () => list.next && load(list.next) };
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
  const [filter, setFilter] = useState<RowFilter>({});
  const { list, live, changed, more } = useIncidents(session?.read === true, filter);

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
            ? html`<span data-testid="logged-in">logged in</span>${" · "}<button
                  class="link"
                  onClick=${logout}
                >
                  log out
                </button>`
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
                : html`<${IncidentList}
                    list=${list}
                    live=${live}
                    filter=${filter}
                    onFilter=${setFilter}
                    onMore=${more}
                  />`
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
