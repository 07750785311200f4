/**
 * The table of secret shapes redaction recognises. Token formats follow the issuers' published formats (the
 * same shapes gitleaks and secretlint match); each entry says what it catches. Order matters: a rule that
 * keeps a prefix (`Authorization: `, `postgres://user:`) runs before the generic `name=value` rule so the
 * prefix survives for the reader.
 */

/** What a redacted secret is replaced with. */
export const REDACTED = "[redacted]";

/**
 * Key names whose values are secrets wherever they appear (JSON keys, `NAME=value`, query strings, flags).
 * `token` but not `tokens` (`max_tokens=1024` is a count); `pass`, `auth` and `sig` only as whole words
 * (`DB_PASS`, `_auth`, SAS `sig`) so `bypass`, `oauth_provider` or `design` stay readable.
 */
export const SECRET_NAME =
  "[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|(?<![a-z])pass(?![a-z])|secret|token(?!s)|" +
  "api[_-]?key|apikey|(?:access|account|private|signing|encryption|master|license|client|app)[_-]?key|" +
  "credentials?|session[_-]?id|signature|(?<![a-z])sig(?![a-z])|(?<![a-z])auth(?![a-z_-]))[A-Za-z0-9_.-]*";

/**
 * A cheap first look: every rule below (and the line-state machine's triggers) needs one of these somewhere
 * in the text, so text without any of them is returned as is. Keep it in step when adding a rule.
 */
export const MAY_HOLD_SECRET =
  /AKIA|ASIA|A3T|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA|gh[pousr]_|github_pat_|gl(?:pat|ptt|dt|rt|cbt|soat|ft|imt|agent|oas|sa|c)[-_]|xox|xapp-|hooks\.slack|[sr]k_|whsec_|AIza|ya29\.|GOCSPX|sk-|npm_|pypi-|hf_|dckr_|SG\.|SK[0-9a-f]|do[opr]_v1|shp|hv[sbr]\.|AGE-SECRET|Q~|eyJ|bearer|basic|token|digest|-u|mysql|mariadb|pass|pwd|secret|key|auth|sig|credential|session|cookie|:\/\/\S*@|[A-Za-z0-9+/]{40}/i;

/** One entry of the table. `replace` is a replacement string or function, as for String.replace. */
export interface SecretRule {
  /** What the rule catches, for people reading the table (README "Security"). */
  name: string;
  pattern: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

/** A value that looks machine-made: long enough and mixing letters and digits (not a word or a count). */
function looksRandom(value: string): boolean {
  return value.length >= 16 && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

/** A quoted or bare value after `name=` / `name:`; quoted values run to their closing quote. */
const VALUE = String.raw`("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\\"(?:[^"\\]|\\[^"])*\\"|[^\s"',;&}<>]+)`;

function keepQuotes(value: string): string {
  for (const q of ['\\"', '"', "'"]) {
    if (value.length >= 2 * q.length && value.startsWith(q) && value.endsWith(q))
      return `${q}${REDACTED}${q}`;
  }
  return REDACTED;
}

/**
 * A whole private key inside one text (PEM, OpenSSH, PGP, PKCS#8), also when its newlines are JSON-escaped
 * `\n`. Runs before the line-state machine, which handles keys spread over several strings or cut short.
 */
export const KEY_BLOCK_RULE: SecretRule = {
  name: "private key block (PEM, OpenSSH, PGP)",
  pattern: /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?-----END \1-----/g,
  replace: `-----BEGIN $1----- ${REDACTED} -----END $1-----`,
};

/** The pattern rules, in the order they run (after the key blocks and the line-state machine). */
export const SECRET_RULES: readonly SecretRule[] = [
  {
    name: "JSON Web Token",
    pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
    replace: REDACTED,
  },
  // Authorization / Cookie header values, whatever their scheme (Bearer, Basic, AWS4-HMAC-SHA256, raw keys).
  {
    name: "Authorization and Cookie headers (the scheme word is kept)",
    pattern:
      /\b((?:proxy-)?authorization|(?:set-)?cookie)(["']?\s*[:=]\s*["']?)(?:([A-Za-z][A-Za-z0-9-]*) +)?[^"'\r\n]+/gi,
    replace: (_m, header: string, sep: string, scheme: string | undefined) =>
      `${header}${sep}${scheme && !/cookie/i.test(header) ? `${scheme} ` : ""}${REDACTED}`,
  },
  {
    name: "Bearer / Basic / Token credentials",
    pattern: /\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: `$1 ${REDACTED}`,
  },
  // scheme://user:password@host (DSNs, basic-auth URLs, git remotes); the password may itself hold an `@`.
  {
    name: "password in a URL or DSN",
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)[^\s/?#"']*@/gi,
    replace: `$1${REDACTED}@`,
  },
  // curl -u user:pass, --user=user:pass, --proxy-user.
  {
    name: "user:password on a command line (curl -u, --user)",
    pattern: /((?:^|[\s"'])(?:-u|-U|--user|--proxy-user)(?:\s*|=)["']?[^\s:"'=]*:)[^\s"']+/g,
    replace: `$1${REDACTED}`,
  },
  {
    name: "password flag of mysql/mariadb clients (-pSECRET)",
    pattern: /(\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?\s-p)([^\s"']+)/g,
    replace: `$1${REDACTED}`,
  },
  {
    name: "secret-named command-line flag followed by its value (--password x, --token x)",
    pattern: new RegExp(`(\\s--?(?:${SECRET_NAME})\\s+)([^\\s"'-][^\\s"']*)`, "gi"),
    replace: `$1${REDACTED}`,
  },
  // Issuer formats.
  {
    name: "AWS access key id",
    pattern: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
    replace: REDACTED,
  },
  {
    name: "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})/g,
    replace: REDACTED,
  },
  {
    name: "GitLab tokens (glpat-, glptt-, gldt-, ...)",
    pattern: /\bgl(?:pat|ptt|dt|rt|cbt|soat|ft|imt|agent|oas)-[A-Za-z0-9_-]{20,}/g,
    replace: REDACTED,
  },
  {
    name: "Slack tokens (xoxb-, xoxp-, xapp-) and incoming-webhook URLs",
    pattern:
      /\bxox[abposer]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}|hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]+/g,
    replace: REDACTED,
  },
  {
    name: "Stripe secret and restricted keys, webhook secrets",
    pattern: /\b(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})/g,
    replace: REDACTED,
  },
  {
    name: "Google API keys, OAuth access tokens and client secrets",
    pattern: /\b(?:AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{20,}|GOCSPX-[A-Za-z0-9_-]{20,})/g,
    replace: REDACTED,
  },
  {
    name: "OpenAI and Anthropic API keys (sk-, sk-proj-, sk-ant-)",
    pattern: /\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}/g,
    replace: REDACTED,
  },
  {
    name: "npm, PyPI, Hugging Face, Docker Hub tokens",
    pattern:
      /\b(?:npm_[A-Za-z0-9]{36}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|dckr_pat_[A-Za-z0-9_-]{20,})/g,
    replace: REDACTED,
  },
  {
    name: "SendGrid, Mailgun, Twilio, DigitalOcean, Shopify, HashiCorp Vault, Grafana, age keys",
    pattern:
      /\b(?:SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|key-[0-9a-zA-Z]{32}|SK[0-9a-fA-F]{32}|do[opr]_v1_[a-f0-9]{64}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|hv[sbr]\.[A-Za-z0-9_-]{24,}|gl(?:sa|c)_[A-Za-z0-9_=+/-]{32,}|AGE-SECRET-KEY-1[0-9A-Z]{58})\b/g,
    replace: REDACTED,
  },
  {
    name: "Azure AD client secrets",
    pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,40}/g,
    replace: REDACTED,
  },
  // name=value, name: value, "name": "value", ?name=value&, Password=value; (configs, DSNs, Azure strings).
  {
    name: 'value of a secret-named key (password=, DB_PASS=, "api_key": "...", AccountKey=, sig=)',
    pattern: new RegExp(`\\b(${SECRET_NAME})(\\\\?["']?\\s*[:=]>?\\s*)${VALUE}`, "gi"),
    replace: (m, name: string, sep: string, value: string) =>
      // `volume "secret-volume" : secret "x" not found` (a Kubernetes event) is prose, not an assignment: a
      // space before the colon counts only with a quoted value (`"password" : "..."`, Jackson's style).
      /\s:/.test(sep) && !/^\\?["']/.test(value) ? m : `${name}${sep}${keepQuotes(value)}`,
  },
  // `aws_secret_access_key wJalr...`: a secret name, a space, and a machine-made value.
  {
    name: "secret name followed by a random-looking value",
    pattern: new RegExp(`\\b(${SECRET_NAME})(\\s+)([A-Za-z0-9+/=_.~-]{16,})`, "gi"),
    replace: (m, name: string, sep: string, value: string) =>
      looksRandom(value) ? `${name}${sep}${REDACTED}` : m,
  },
];
