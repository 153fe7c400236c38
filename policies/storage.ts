/** Guardrails for buckets, filesystems and the protection of data. */
import { PolicyResource } from "@pulumi/policy";
import { ofType, resourcePolicy, stackPolicy } from "./policy-builders";
import { UNKNOWN, input, stringInput } from "./unknown-inputs";

/**
 * The annotation on the object store's identities Secret that names what anonymous callers
 * may do ("" for nothing). The identities themselves hold generated keys, unknown until
 * they exist: a policy that read them would never run in a fresh preview.
 */
export const ANONYMOUS_ACTIONS_ANNOTATION = "mlops.dev/anonymous-actions";

const S3_BUCKETS = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

export const objectStoreNoAnonymous = resourcePolicy({
    name: "object-store-no-anonymous-access",
    description: "The in-cluster object store grants nothing to anonymous callers.",
    enforcementLevel: "advisory",
    types: ["kubernetes:core/v1:Secret"],
    validate: (props, report) => {
        // Known values first: the label, then the annotation. The identities (with keys) are
        // read only when known, to catch a Secret whose annotation says less than it grants.
        if (stringInput(() => props?.metadata?.labels?.["app.kubernetes.io/name"]) !== "seaweedfs")
            return;
        const declared = stringInput(
            () => props?.metadata?.annotations?.[ANONYMOUS_ACTIONS_ANNOTATION],
        );
        // The identities Secret has the s3.json key. In a fresh preview its whole stringData is
        // unknown (it holds secrets), so the annotation is what marks it then.
        const data = input(() => props?.stringData);
        const hasConfig = data !== null && typeof data === "object" && "s3.json" in data;
        if (declared === undefined) {
            if (hasConfig)
                report(`the identities Secret does not declare ${ANONYMOUS_ACTIONS_ANNOTATION}`);
            return;
        }
        if (declared !== UNKNOWN && declared !== "")
            report(`anonymous callers may ${declared.split(",").join(", ")}`);
        if (!hasConfig) return;
        const config = stringInput(() => props?.stringData?.["s3.json"]);
        if (typeof config !== "string") return;
        const identities: any[] = JSON.parse(config).identities ?? [];
        const granted: string[] = identities.find((i) => i.name === "anonymous")?.actions ?? [];
        if (granted.join(",") !== declared)
            report(
                `anonymous callers may ${granted.join(", ") || "do nothing"}, but ${ANONYMOUS_ACTIONS_ANNOTATION} says '${String(declared)}'`,
            );
    },
});

/**
 * The annotation on the object store's identities Secret that declares the IAM policy attached
 * to each identity other than the platform's, as JSON `{ "<identity>": <policy document> }`.
 * Known in a fresh preview, like {@link ANONYMOUS_ACTIONS_ANNOTATION}.
 */
export const IDENTITY_POLICIES_ANNOTATION = "mlops.dev/identity-policies";

/** A team's identity in the in-cluster store: `team-<team>`. */
const TEAM_IDENTITY = /^team-([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)$/;

/** What a team's object statement may allow: its objects, no bucket-level configuration. */
const TEAM_OBJECT_ACTIONS = new Set([
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
]);
const TEAM_LIST_ACTIONS = new Set(["s3:ListBucket", "s3:ListBucketVersions"]);

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/**
 * Why a team identity's policy reaches beyond its prefix. The gateway resolves a request
 * without an object key (lifecycle, versioning, CORS, object lock) to an object action on
 * `<bucket>/<prefix>` when the request carries `?prefix=`, so an object statement must hold
 * only where `s3:prefix` is absent (`Null`), and a listing only for `s3:prefix` under the
 * team's own prefix. Legacy actions (`Write:<bucket>/...`) are refused outright: the gateway
 * matches them against the same `prefix`, and nothing there can tell the requests apart.
 */
export function teamPolicyProblems(identity: string, policy: unknown): string[] {
    const team = TEAM_IDENTITY.exec(identity)?.[1];
    if (team === undefined) return [];
    const doc = policy as { Version?: unknown; Statement?: unknown } | null;
    if (doc === null || typeof doc !== "object" || !Array.isArray(doc.Statement))
        return [`identity '${identity}' declares no policy document`];
    const who = `team '${team}' (identity '${identity}')`;
    const ownObject = new RegExp(`^arn:aws:s3:::[^/*?]+/(?:[^*?]*/)?${team}/\\*$`);
    const ownPrefix = new RegExp(`^(?:[^*?]*/)?${team}/\\*$`);
    const bucketArn = /^arn:aws:s3:::[^/*?]+$/;
    const problems: string[] = [];
    if (doc.Version !== "2012-10-17") problems.push(`${who}: policy Version must be 2012-10-17`);
    doc.Statement.forEach((raw: any, i: number) => {
        if (raw?.Effect === "Deny") return;
        const at = `${who}, statement ${i}`;
        if (raw?.NotAction !== undefined || raw?.NotResource !== undefined) {
            problems.push(`${at}: NotAction/NotResource reach beyond its own prefix`);
            return;
        }
        const actions = asList(raw?.Action).map(String);
        const resources = asList(raw?.Resource).map(String);
        const condition = JSON.stringify(raw?.Condition ?? {});
        if (actions.every((a) => TEAM_OBJECT_ACTIONS.has(a))) {
            for (const r of resources.filter((r) => !ownObject.test(r)))
                problems.push(`${at}: ${actions.join(", ")} on ${r}, beyond its own prefix`);
            if (condition !== JSON.stringify({ Null: { "s3:prefix": "true" } }))
                problems.push(
                    `${at}: object actions without the condition {"Null":{"s3:prefix":"true"}} also allow bucket-level requests that carry ?prefix= (lifecycle, versioning, CORS, object lock); got ${condition}`,
                );
        } else if (actions.every((a) => TEAM_LIST_ACTIONS.has(a))) {
            for (const r of resources.filter((r) => !bucketArn.test(r)))
                problems.push(`${at}: ${actions.join(", ")} on ${r}, not a bucket`);
            const prefixes = asList(raw?.Condition?.StringLike?.["s3:prefix"]).map(String);
            const keys = Object.keys(raw?.Condition ?? {});
            if (
                keys.length !== 1 ||
                keys[0] !== "StringLike" ||
                Object.keys(raw.Condition.StringLike).join() !== "s3:prefix" ||
                prefixes.length === 0 ||
                !prefixes.every((p) => ownPrefix.test(p))
            )
                problems.push(
                    `${at}: listing must be limited by StringLike s3:prefix to its own prefix (<...>/${team}/*); got ${condition}`,
                );
        } else {
            problems.push(
                `${at}: ${actions.join(", ")}: only object actions (${[...TEAM_OBJECT_ACTIONS].join(", ")}) or listing actions (${[...TEAM_LIST_ACTIONS].join(", ")}), each in its own statement`,
            );
        }
    });
    return problems;
}

export const objectStoreTeamsConfined = resourcePolicy({
    name: "object-store-team-identities-confined",
    description:
        "Each team's identity in the in-cluster object store reads, writes and lists under its own prefix only, and changes no bucket's configuration.",
    enforcementLevel: "mandatory",
    types: ["kubernetes:core/v1:Secret"],
    validate: (props, report) => {
        if (stringInput(() => props?.metadata?.labels?.["app.kubernetes.io/name"]) !== "seaweedfs")
            return;
        const data = input(() => props?.stringData);
        const hasConfig = data !== null && typeof data === "object" && "s3.json" in data;
        const declaredText = stringInput(
            () => props?.metadata?.annotations?.[IDENTITY_POLICIES_ANNOTATION],
        );
        if (declaredText === UNKNOWN) return;
        if (declaredText === undefined) {
            if (hasConfig)
                report(`the identities Secret does not declare ${IDENTITY_POLICIES_ANNOTATION}`);
            return;
        }
        let declared: Record<string, unknown>;
        try {
            declared = JSON.parse(declaredText);
        } catch {
            report(`${IDENTITY_POLICIES_ANNOTATION} is not JSON`);
            return;
        }
        for (const [identity, policy] of Object.entries(declared))
            for (const problem of teamPolicyProblems(identity, policy)) report(problem);
        // The identities themselves, when known: each team's holds no legacy action and exactly
        // the policy the annotation declares.
        const config = hasConfig ? stringInput(() => props?.stringData?.["s3.json"]) : undefined;
        if (typeof config !== "string") return;
        const parsed = JSON.parse(config);
        const identities: { name?: string; actions?: unknown; policyNames?: unknown }[] =
            parsed.identities ?? [];
        const policies: { name?: string; content?: unknown }[] = parsed.policies ?? [];
        for (const i of identities) {
            const name = String(i.name);
            if (!TEAM_IDENTITY.test(name)) continue;
            if (asList(i.actions).length > 0)
                report(
                    `identity '${name}' holds legacy actions ${JSON.stringify(i.actions)}: the gateway matches them against a request's ?prefix=, so they allow bucket-level configuration`,
                );
            const attached = asList(i.policyNames).map(String);
            const contents = attached.map((p) => {
                const content = policies.find((q) => q.name === p)?.content;
                return typeof content === "string" ? JSON.parse(content) : null;
            });
            if (JSON.stringify(contents) !== JSON.stringify([declared[name] ?? null]))
                report(
                    `identity '${name}' is attached ${JSON.stringify(contents)}, but ${IDENTITY_POLICIES_ANNOTATION} declares ${JSON.stringify(declared[name] ?? null)}`,
                );
        }
    },
});

export const gcsBucketPrivate = resourcePolicy({
    name: "gcs-bucket-private",
    description:
        "GCS buckets use uniform bucket-level access and enforce public access prevention.",
    enforcementLevel: "mandatory",
    types: ["gcp:storage/bucket:Bucket"],
    validate: (props, report) => {
        if (props?.uniformBucketLevelAccess !== true)
            report("uniformBucketLevelAccess is not true");
        if (props?.publicAccessPrevention !== "enforced")
            report("publicAccessPrevention is not 'enforced'");
    },
});

export const gcsArtifactsVersioned = resourcePolicy({
    name: "gcs-artifact-bucket-versioned",
    description:
        "GCS buckets that hold artifacts (label mlops-artifacts=true) keep object versions.",
    enforcementLevel: "advisory",
    types: ["gcp:storage/bucket:Bucket"],
    validate: (props, report) => {
        if (props?.labels?.["mlops-artifacts"] === "true" && props?.versioning?.enabled !== true) {
            report("artifact bucket without versioning");
        }
    },
});

export const s3PublicAccessBlock = resourcePolicy({
    name: "s3-public-access-block",
    description: "S3 public access blocks turn on all four protections.",
    enforcementLevel: "mandatory",
    types: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
    validate: (props, report) => {
        const off = [
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        ].filter((k) => props?.[k] !== true);
        if (off.length) report(`not set: ${off.join(", ")}`);
    },
});

/** Resources that depend on `bucket` and have one of `types`. */
function companions(all: PolicyResource[], bucket: PolicyResource, types: string[]) {
    return all.filter(
        (r) => types.includes(r.type) && r.dependencies.some((d) => d.urn === bucket.urn),
    );
}

export const s3BucketGuarded = stackPolicy({
    name: "s3-bucket-blocked-and-encrypted",
    description: "Every S3 bucket has a public access block and server-side encryption.",
    enforcementLevel: "mandatory",
    validate: (args, report) => {
        for (const type of S3_BUCKETS) {
            for (const b of ofType(args, type)) {
                if (
                    !companions(args.resources, b, [
                        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                    ]).length
                ) {
                    report(`bucket '${b.name}' has no public access block`, b.urn);
                }
                const encrypted =
                    b.props?.serverSideEncryptionConfiguration ||
                    companions(args.resources, b, [
                        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
                    ]).length;
                if (!encrypted)
                    report(`bucket '${b.name}' has no server-side encryption configuration`, b.urn);
            }
        }
    },
});

export const efsEncrypted = resourcePolicy({
    name: "efs-encrypted",
    description: "EFS file systems are encrypted at rest.",
    enforcementLevel: "mandatory",
    types: ["aws:efs/fileSystem:FileSystem"],
    validate: (props, report) => {
        if (props?.encrypted !== true) report("encrypted is not true");
    },
});

/** Kubernetes volume claims of the platform's in-cluster data stores. */
const DATA_STORE_APPS = ["postgresql", "seaweedfs"];
const DATA_STORE_TYPES = [
    "kubernetes:core/v1:PersistentVolumeClaim",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:storage/bucket:Bucket",
    "gcp:filestore/instance:Instance",
    "aws:rds/instance:Instance",
    "aws:efs/fileSystem:FileSystem",
    ...S3_BUCKETS,
];

export const dataStoresProtected = resourcePolicy({
    name: "data-stores-protected",
    description:
        "Data stores (databases, buckets, filesystems, their volumes) are `protect`ed where required (production).",
    enforcementLevel: "advisory",
    types: DATA_STORE_TYPES,
    configSchema: {
        properties: { requireProtect: { type: "boolean", default: false } },
    },
    validate: (props, report, args) => {
        if (!args.getConfig<{ requireProtect?: boolean }>().requireProtect) return;
        if (
            args.type === "kubernetes:core/v1:PersistentVolumeClaim" &&
            !DATA_STORE_APPS.includes(props?.metadata?.labels?.["app.kubernetes.io/name"])
        ) {
            return;
        }
        if (!args.opts.protect) report(`${args.name} is not protected`);
    },
});

export const storagePolicies = [
    objectStoreNoAnonymous,
    objectStoreTeamsConfined,
    gcsBucketPrivate,
    gcsArtifactsVersioned,
    s3PublicAccessBlock,
    s3BucketGuarded,
    efsEncrypted,
    dataStoresProtected,
];
