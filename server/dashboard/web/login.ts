import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { postJson, type Session } from "./api.ts";

/** The login form: the API token, exchanged for an HttpOnly session cookie. */
export function Login(props: { session: Session; onDone: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  if (!props.session.canLogIn) {
    return html`<section class="card narrow">
      <h2>Dashboard locked</h2>
      <p>
        Set <code>AEGIS_API_TOKEN</code> to log in here, or <code>AEGIS_DASHBOARD_PUBLIC=true</code> for a
        read-only dashboard without a login.
      </p>
    </section>`;
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await postJson("/ui/login", { token });
      setToken("");
      props.onDone();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return html`<form class="card narrow" onSubmit=${submit} data-testid="login">
    <h2>Log in</h2>
    <p>Use the API token (<code>AEGIS_API_TOKEN</code>).</p>
    <input
      type="password"
      name="token"
      autocomplete="current-password"
      placeholder="API token"
      value=${token}
      onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)}
    />
    <button type="submit">Log in</button>
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </form>`;
}
