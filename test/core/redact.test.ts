import { describe, expect, it } from "vitest";
import { REDACTED, redactText, redactValue } from "../../core/redact.ts";

describe("secret redaction", () => {
  it.each([
    ["bearer token", "GET /api Authorization: Bearer abcDEF123456.ghi-jkl", "abcDEF123456.ghi-jkl"],
    ["password in a URL", "connecting to https://deploy:s3cr3tPass@git.internal/repo.git", "s3cr3tPass"],
    ["password in a postgres DSN", "dsn=postgres://orders:hunter2@db.internal:5432/orders", "hunter2"],
    ["mongodb+srv connection string", "mongodb+srv://root:Tr0ub4dor@cluster0.example.net/test", "Tr0ub4dor"],
    ["ADO-style connection string", "Server=db;User Id=sa;Password=Pa55word!;Database=orders", "Pa55word!"],
    ["env dump", "DB_PASSWORD=hunter2\nGITHUB_TOKEN=ghx_notreal\nPATH=/usr/bin", "hunter2"],
    ["env dump token", "DB_PASSWORD=hunter2\nGITHUB_TOKEN=abc123notreal\nPATH=/usr/bin", "abc123notreal"],
    ["secret in JSON", '{"user":"svc","password":"correct horse","api_key":"k-123"}', "correct"],
    ["api key in a query string", "GET https://api.example.com/v1?api_key=abcd1234&page=2", "abcd1234"],
    ["AWS access key id", "using AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"],
    [
      "AWS secret access key",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ],
    [
      "JWT",
      "session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
      "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
    [
      "private key",
      "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----\nnext line",
      "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo",
    ],
    [
      "OpenAI API key",
      "OPENAI key sk-proj-abcdefghijklmnopqrstuvwx1234",
      "sk-proj-abcdefghijklmnopqrstuvwx1234",
    ],
  ])("%s", (_kind, text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it("keeps what a diagnosis needs: hosts, users, paths, numbers, ordinary log lines", () => {
    expect(redactText("postgres://orders:hunter2@db.internal:5432/orders")).toBe(
      `postgres://orders:${REDACTED}@db.internal:5432/orders`,
    );
    const plain = "2026-11-23T18:05:29Z ERROR GET /orders 500 in 1200 ms (max_tokens=1024, heap 812 MiB)";
    expect(redactText(plain)).toBe(plain);
    expect(
      redactText("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\nnext line"),
    ).toMatch(/next line$/);
  });

  it("redacts values of secret-named keys in structured data, and strings anywhere in it", () => {
    const input = {
      env: { DB_PASSWORD: "hunter2", AWS_SECRET_ACCESS_KEY: "wJalr", PATH: "/usr/bin" },
      lines: [{ text: "Authorization: Bearer abcdefghijkl" }],
      usage: { prompt_tokens: 120 },
    };
    expect(redactValue(input)).toEqual({
      env: { DB_PASSWORD: REDACTED, AWS_SECRET_ACCESS_KEY: REDACTED, PATH: "/usr/bin" },
      lines: [{ text: `Authorization: Bearer ${REDACTED}` }],
      usage: { prompt_tokens: 120 },
    });
    expect(input.env.DB_PASSWORD).toBe("hunter2");
  });
});
