import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from "node:crypto";

/** A self-signed certificate (PEM) and its key, valid for 127.0.0.1, ::1 and localhost; it is its own CA. */
export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

// Minimal DER encoding, enough for one X.509 v3 certificate.
const len = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, body: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), len(body.length), body]);
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const oid = (dotted: string): Buffer => {
  const parts = dotted.split(".").map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
};
const int = (b: Buffer) => tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const bitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const octets = (b: Buffer) => tlv(0x04, b);
const explicit = (n: number, b: Buffer) => tlv(0xa0 + n, b);
const time = (d: Date) => {
  const s = d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
  return tlv(0x17, Buffer.from(s, "ascii"));
};
const ext = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), octets(value));

/** Generates an ECDSA P-256 self-signed certificate for the simulator's HTTPS listener. */
export function selfSignedCertificate(commonName = "kube-sim", days = 365): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const name = seq(set(seq(oid("2.5.4.3"), utf8(commonName))));
  const sigAlg = seq(oid("1.2.840.10045.4.3.2"));
  const now = Date.now();
  const san = seq(
    tlv(0x82, Buffer.from("localhost", "ascii")),
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    tlv(0x87, Buffer.concat([Buffer.alloc(15), Buffer.from([1])])),
  );
  const tbs = seq(
    explicit(0, int(Buffer.from([2]))),
    int(randomBytes(16)),
    sigAlg,
    name,
    seq(time(new Date(now - 3600_000)), time(new Date(now + days * 86_400_000))),
    name,
    spki,
    explicit(
      3,
      seq(
        ext("2.5.29.19", true, seq(tlv(0x01, Buffer.from([0xff])))),
        // digitalSignature | keyCertSign
        ext("2.5.29.15", true, tlv(0x03, Buffer.from([0x02, 0x84]))),
        ext("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))),
        ext("2.5.29.17", false, san),
      ),
    ),
  );
  const signature = sign(
    "sha256",
    tbs,
    createPrivateKey(privateKey.export({ type: "pkcs8", format: "pem" })),
  );
  const der = seq(tbs, sigAlg, bitString(signature));
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64.trim()}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}
