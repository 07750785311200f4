import { randomInt } from "node:crypto";

/**
 * Secrets of many kinds, made fresh for each test run (so a needle can only be found where the run put it),
 * each in the shape its issuer uses and written the way programs really print them: log lines, env values,
 * alert annotations. `needles` are the parts that must never be seen outside the process.
 */
export interface PlantedSecret {
  kind: string;
  /** The log lines that carry it (one string per line, as a container prints them). */
  lines: string[];
  needles: string[];
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}-_`;

/** `n` random characters of `alphabet`; always mixes cases and digits when the alphabet has them. */
export function rand(n: number, alphabet = ALNUM): string {
  for (;;) {
    const s = Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");
    const mixed =
      (!/[A-Z]/.test(alphabet) || /[A-Z]/.test(s)) &&
      (!/[a-z]/.test(alphabet) || /[a-z]/.test(s)) &&
      (!/[0-9]/.test(alphabet) || /[0-9]/.test(s));
    if (mixed || n < 8) return s;
  }
}

/** A password as people choose them: letters, digits and a symbol a URL allows. */
const password = () => `${rand(6, UPPER + LOWER)}-${rand(8)}`;

const b64url = (text: string) => Buffer.from(text).toString("base64url");

function pemBody(lines: number, width: number): string[] {
  const out = Array.from({ length: lines }, () => rand(width, B64));
  out.push(`${rand(20, B64)}==`);
  return out;
}

/** One run's planted secrets: at least 20 kinds, in log lines. */
export function plantedSecrets(): PlantedSecret[] {
  const s: PlantedSecret[] = [];
  const add = (kind: string, lines: string[], ...needles: string[]) => s.push({ kind, lines, needles });

  const akid = `AKIA${rand(16, UPPER + DIGITS)}`;
  add("AWS access key id", [`INFO uploading report to s3 with access key ${akid}`], akid);

  const awsSecret = rand(40, B64);
  add("AWS secret access key", [`DEBUG aws_secret_access_key = ${awsSecret}`], awsSecret);

  const pg = password();
  add(
    "PostgreSQL DSN password",
    [`ERROR could not connect to postgres://orders:${pg}@db.internal:5432/orders?sslmode=require`],
    pg,
  );

  const redis = password();
  add("Redis URL password", [`WARN redis reconnecting: redis://:${redis}@cache.internal:6379/0`], redis);

  const curlPass = password();
  add(
    "curl -u user:password",
    [`+ curl -fsS -u deploy:${curlPass} https://artifacts.internal/upload -T build.tgz`],
    curlPass,
  );

  const bearer = rand(40, B64URL);
  add("Authorization: Bearer", [`DEBUG GET /v2/orders headers={Authorization: Bearer ${bearer}}`], bearer);

  const ghp = `ghp_${rand(36)}`;
  add("GitHub personal access token (ghp_)", [`INFO cloning with token ${ghp}`], ghp);

  const gho = `gho_${rand(36)}`;
  add("GitHub OAuth token (gho_)", [`DEBUG oauth exchange returned ${gho} for user octo`], gho);

  const pat = `github_pat_11${rand(20, UPPER + DIGITS)}_${rand(59)}`;
  add("GitHub fine-grained token (github_pat_)", [`INFO GH_PAT in use: ${pat}`], pat);

  const xoxb = `xoxb-${rand(11, DIGITS)}-${rand(13, DIGITS)}-${rand(24)}`;
  add("Slack bot token (xoxb-)", [`ERROR slack post failed (token ${xoxb}): channel_not_found`], xoxb);

  const stripe = `sk_live_${rand(32)}`;
  add("Stripe live secret key", [`ERROR stripe: charge failed using ${stripe}: card_declined`], stripe);

  const gkey = `AIza${rand(35, B64URL)}`;
  add("Google API key", [`WARN maps quota exceeded for key=${gkey}`], gkey);

  const jwtSig = rand(43, B64URL);
  const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${rand(12)}","role":"admin"}`)}.${jwtSig}`;
  add("JSON Web Token", [`DEBUG session cookie value ${jwt}`], jwt, jwtSig);

  const dbPass = password();
  add(
    "DB_PASS= assignment",
    [`INFO effective config: DB_HOST=db.internal DB_PASS=${dbPass} DB_POOL=10`],
    dbPass,
  );

  const qsPass = password();
  add(
    "password= in a query string",
    [`INFO 10.0.3.7 "GET /login?user=alice&password=${qsPass}&next=%2F HTTP/1.1" 302`],
    qsPass,
  );

  const rsa = pemBody(6, 64);
  add(
    "PEM RSA private key, one log line per key line",
    ["INFO loaded TLS key:", "-----BEGIN RSA PRIVATE KEY-----", ...rsa, "-----END RSA PRIVATE KEY-----"],
    ...rsa,
  );

  const ssh = pemBody(5, 70);
  add(
    "OpenSSH private key",
    ["DEBUG deploy key:", "-----BEGIN OPENSSH PRIVATE KEY-----", ...ssh, "-----END OPENSSH PRIVATE KEY-----"],
    ...ssh,
  );

  const npm = `npm_${rand(36)}`;
  add("npm token", [`DEBUG wrote .npmrc: //registry.npmjs.org/:_authToken=${npm}`], npm);

  const azureKey = `${rand(86, B64)}==`;
  add(
    "Azure storage connection string",
    [
      `ERROR blob upload failed: DefaultEndpointsProtocol=https;AccountName=ordersstore;AccountKey=${azureKey};EndpointSuffix=core.windows.net`,
    ],
    azureKey,
  );

  const basic = password();
  add(
    "basic-auth URL",
    [`WARN probe https://admin:${basic}@grafana.internal/api/health answered 503`],
    basic,
  );

  const openai = `sk-proj-${rand(48, B64URL)}`;
  add("OpenAI API key", [`ERROR openai 401 for key ${openai}`], openai);

  const hook = rand(24);
  add(
    "Slack incoming-webhook URL",
    [
      `INFO notifying https://hooks.slack.com/services/T${rand(8, UPPER + DIGITS)}/B${rand(8, UPPER + DIGITS)}/${hook}`,
    ],
    hook,
  );

  const sendgrid = `SG.${rand(22, B64URL)}.${rand(43, B64URL)}`;
  add("SendGrid API key", [`DEBUG mailer configured with ${sendgrid}`], sendgrid);

  const glpat = `glpat-${rand(20, B64URL)}`;
  add("GitLab token", [`INFO registry login with ${glpat}`], glpat);

  const spaced = `correct horse ${rand(12)}`;
  add(
    "multi-line JSON with a quoted password",
    [
      "DEBUG request body:",
      "{",
      '  "user": "svc-orders",',
      `  "password": "${spaced}",`,
      '  "retries": 3',
      "}",
    ],
    spaced.split(" ").at(-1)!,
  );

  const apiKey = rand(32);
  add("X-Api-Key header", [`DEBUG upstream call headers: X-Api-Key: ${apiKey}`], apiKey);

  const cookie = rand(32, B64URL);
  add("session cookie", [`DEBUG Cookie: session_id=${cookie}; theme=dark`], cookie);

  const saBody = pemBody(3, 64);
  const saKeyId = rand(40, "0123456789abcdef");
  add(
    "GCP service-account JSON (private key with escaped newlines)",
    [
      `INFO credentials: {"type":"service_account","private_key_id":"${saKeyId}","private_key":"-----BEGIN PRIVATE KEY-----\\n${saBody.join("\\n")}\\n-----END PRIVATE KEY-----\\n","client_email":"orders@proj.iam.gserviceaccount.com"}`,
    ],
    saKeyId,
    ...saBody,
  );

  const mysql = password();
  add("mysql -pPASSWORD", [`+ mysql -h db.internal -u root -p${mysql} orders < migrate.sql`], mysql);

  const yamlSecret = rand(32);
  add(
    "YAML block scalar holding a secret",
    ["DEBUG rendered config:", "webhook:", "  secret: |", `    ${yamlSecret}`, "  timeout: 5s"],
    yamlSecret,
  );

  return s;
}

/** Env values the container gets; `withheld` must never be seen, `allowed` names the policy lists. */
export function plantedEnv(): {
  env: Record<string, string>;
  needles: string[];
  allowlist: string[];
  visible: Record<string, string>;
} {
  const aws = rand(40, B64);
  const dbPass = password();
  const dsnPass = password();
  const gh = `ghp_${rand(36)}`;
  // No shape any pattern knows: only the allowlist keeps it out.
  const opaque = rand(24);
  const javaPass = password();
  return {
    env: {
      AWS_SECRET_ACCESS_KEY: aws,
      DB_PASS: dbPass,
      DATABASE_URL: `postgres://orders:${dsnPass}@db.internal:5432/orders`,
      GITHUB_TOKEN: gh,
      LEGACY_SETTING: opaque,
      NODE_ENV: "production",
      JAVA_TOOL_OPTIONS: `-Xmx256m -Djavax.net.ssl.trustStorePassword=${javaPass}`,
    },
    needles: [aws, dbPass, dsnPass, gh, opaque, javaPass],
    allowlist: ["NODE_ENV", "JAVA_TOOL_OPTIONS"],
    visible: { NODE_ENV: "production" },
  };
}

/** Annotations and labels of the alert, with secrets people paste into them. */
export function plantedAlertText(): {
  annotations: Record<string, string>;
  labels: Record<string, string>;
  needles: string[];
} {
  const curl = password();
  const wiki = password();
  const token = rand(40, B64URL);
  const scrape = password();
  const pemLines = pemBody(2, 64);
  return {
    annotations: {
      summary: "orders API unhealthy",
      description: `Reproduce: curl -u ops:${curl} https://orders.internal/health\nheader used: Authorization: Bearer ${token}`,
      runbook_url: `https://wiki:${wiki}@wiki.internal/runbooks/orders`,
      client_cert_key: `-----BEGIN EC PRIVATE KEY-----\n${pemLines.join("\n")}\n-----END EC PRIVATE KEY-----`,
    },
    // A label no target convention reads, so the alert still names its container.
    labels: { remote_write_url: `https://scrape:${scrape}@metrics.internal/api/v1/write` },
    needles: [curl, wiki, token, scrape, ...pemLines],
  };
}

/** The needles of `secrets` found in `text`, as `kind: needle` (empty when none leaked). */
export function leaksIn(text: string, secrets: ReadonlyArray<{ kind: string; needles: string[] }>): string[] {
  return secrets.flatMap((s) => s.needles.filter((n) => text.includes(n)).map((n) => `${s.kind}: ${n}`));
}
