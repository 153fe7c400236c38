/**
 * Enforcement profiles by stack environment. The experiment knobs (TLS off, a public bucket,
 * an exposed database) and unprotected data only warn in dev; in prod they stop the update.
 * The offline plan picks the profile from `mlops:environment`; with the CLI pass the same
 * file: `pulumi preview --policy-pack policies --policy-pack-config policies/config.prod.json`.
 */
import { PolicyPackConfig } from "@pulumi/policy";

const mandatory = { enforcementLevel: "mandatory" } as const;

export const profiles: Readonly<Record<"dev" | "prod", PolicyPackConfig>> = {
    dev: {
        // A dev stack's managed database is created without the cloud's deletion protection
        // on purpose (`protect: false`), so that `pulumi destroy` removes it,
        // as dev data stores are unprotected (data-stores-protected asks for protect in prod).
        "database-deletion-protection": "disabled",
        // Development tiers, self-signed certificates and a loopback mirror are what dev is for.
        "database-production-tier": "disabled",
        "routes-trusted-certificate": "disabled",
        "helm-repository-https": "disabled",
    },
    prod: {
        "traefik-route-https-only": mandatory,
        "traefik-redirects-http-to-https": mandatory,
        "traefik-route-authenticated": mandatory,
        "sso-on-every-route": mandatory,
        "no-everyone-bindings": mandatory,
        "object-store-no-anonymous-access": mandatory,
        "database-not-public": mandatory,
        "database-deletion-protection": mandatory,
        "data-stores-protected": { ...mandatory, requireProtect: true },
        "eks-node-metadata-protected": mandatory,
        "gke-secrets-encryption": mandatory,
        "gke-control-plane-restricted": mandatory,
        "database-backups": mandatory,
        "database-production-tier": mandatory,
        "routes-trusted-certificate": mandatory,
        "helm-repository-https": mandatory,
    },
};
