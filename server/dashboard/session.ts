import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { tokenMatcher } from "../auth.ts";

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "aegis_session";

/** Header the page sends its CSRF token in with every change (a cross-site form cannot set headers). */
export const CSRF_HEADER = "x-aegis-csrf";

/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** What a request may do in the dashboard. */
export interface Access {
  /** May read incidents, stats and runbooks. */
  read: boolean;
  /** Logged in with the API token: may approve and reject. */
  loggedIn: boolean;
  /** The CSRF token of this session (logged in only). */
  csrf?: string;
}

/**
 * Stateless sessions signed with a key derived from AEGIS_API_TOKEN: nothing to store, they survive a
 * restart, and rotating the token logs everyone out. The cookie is `expiry.nonce.mac`.
 */
export interface Sessions {
  /** Whether a token may log in (AEGIS_API_TOKEN set). */
  readonly canLogIn: boolean;
  /** The cookie value for a new session, when `token` is the API token; undefined otherwise. */
  logIn(token: string): string | undefined;
  /** What the request's cookie header allows. */
  access(cookieHeader: string | undefined): Access;
  /** Whether `presented` is the CSRF token of the session in `cookieHeader`. */
  csrfValid(cookieHeader: string | undefined, presented: string | undefined): boolean;
}

export function createSessions(opts: {
  apiToken: string | undefined;
  dashboardPublic: boolean;
  now?: () => number;
}): Sessions {
  const now = opts.now ?? Date.now;
  const publicRead = opts.dashboardPublic;
  if (opts.apiToken === undefined) {
    return {
      canLogIn: false,
      logIn: () => undefined,
      access: () => ({ read: publicRead, loggedIn: false }),
      csrfValid: () => false,
    };
  }
  const key = createHmac("sha256", "aegis-dashboard-session").update(opts.apiToken).digest();
  const mac = (text: string) => createHmac("sha256", key).update(text).digest("base64url");
  const matches = tokenMatcher(opts.apiToken);

  const verify = (cookieHeader: string | undefined): string | undefined => {
    const value = cookieValue(cookieHeader, SESSION_COOKIE);
    const parts = value?.split(".");
    if (!value || parts?.length !== 3) return undefined;
    const [expiry, nonce, signature] = parts as [string, string, string];
    if (!safeEqual(signature, mac(`${expiry}.${nonce}`))) return undefined;
    if (!(Number(expiry) > now())) return undefined;
    return value;
  };
  const csrfOf = (session: string) => mac(`csrf:${session}`);

  return {
    canLogIn: true,
    logIn(token) {
      if (!matches(token)) return undefined;
      const body = `${now() + SESSION_TTL_MS}.${randomBytes(16).toString("base64url")}`;
      return `${body}.${mac(body)}`;
    },
    access(cookieHeader) {
      const session = verify(cookieHeader);
      if (!session) return { read: publicRead, loggedIn: false };
      return { read: true, loggedIn: true, csrf: csrfOf(session) };
    },
    csrfValid(cookieHeader, presented) {
      const session = verify(cookieHeader);
      return session !== undefined && presented !== undefined && safeEqual(presented, csrfOf(session));
    },
  };
}

/** The `Set-Cookie` value for a session (or, with an empty value, one that ends it). */
export function sessionCookie(value: string, secure: boolean): string {
  const maxAge = value === "" ? 0 : Math.floor(SESSION_TTL_MS / 1000);
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${maxAge}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
