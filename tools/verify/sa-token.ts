/**
 * Mints a service-account-style JWT signed with a Kubernetes API server's service-account
 * signing key, for the cases the API server will not issue: an expired token (TokenRequest's
 * shortest lifetime is 10 minutes) and, as a control, a live one from the same code path.
 * The key ID is the API server's own (base64url SHA-256 of the public key's DER), so the token
 * verifies against the issuer's published JWKS unless it is expired.
 *
 *     npx tsx tools/verify/sa-token.ts KEY.pem ISSUER AUDIENCE SUBJECT EXPIRES_IN_SECONDS
 *
 * A negative EXPIRES_IN_SECONDS gives a token that expired that long ago.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";

const [keyFile, issuer, audience, subject, expiresIn] = process.argv.slice(2);
const privateKey = crypto.createPrivateKey(fs.readFileSync(keyFile));
const kid = crypto
    .createHash("sha256")
    .update(crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" }))
    .digest("base64url");
const now = Math.floor(Date.now() / 1000);
const exp = now + Number(expiresIn);
const [, namespace, name] = /^system:serviceaccount:([^:]+):(.+)$/.exec(subject) ?? [];
const claims = {
    aud: [audience],
    exp,
    iat: Math.min(now, exp - 600),
    nbf: Math.min(now, exp - 600),
    iss: issuer,
    sub: subject,
    jti: crypto.randomUUID(),
    ...(namespace
        ? { "kubernetes.io": { namespace, serviceaccount: { name, uid: crypto.randomUUID() } } }
        : {}),
};
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const input = `${b64({ alg: "RS256", kid })}.${b64(claims)}`;
const signature = crypto.sign("sha256", Buffer.from(input), privateKey).toString("base64url");
process.stdout.write(`${input}.${signature}\n`);
