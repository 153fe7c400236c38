/**
 * kubectl for team members (docs/identity/kubectl.md): EKS trusts the sign-on issuer and lists
 * IAM principals, GKE reads Google Groups, and every team RoleBinding names members as the
 * cluster's API server names them (`oidc:` on local and EKS, nothing on GKE), in platform and
 * team stacks alike.
 */
import { EKS_ACCESS_POLICIES, EksCluster, accessEntryKey } from "../../components/aws/eks";
import { ExistingCluster } from "../../components/cluster/existing";
import { GkeCluster } from "../../components/gcp/gke";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { TEAM_SERVICES } from "../../components/platform/mlops-platform";
import { KUBELOGIN_REDIRECT_URIS } from "../../components/platform/sign-on";
import { Team, memberSubjects } from "../../components/tenancy/team";
import { awsFoundation } from "../../stacks/aws";
import { EKS_ACCESS_POLICY_NAMES, kubernetesMemberPrefix, parseConfig } from "../../stacks/config";
import { gcpFoundation } from "../../stacks/gcp";
import { localFoundation } from "../../stacks/local";
import { platformStack } from "../../stacks/platform";
import { configProblems as problems } from "../support/fixtures";
import { at, childList, record, settled } from "../support/harness";

const ACCOUNT = "123456789012";
const RBAC = "rbac.authorization.k8s.io";
const ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
/** An external issuer, which gcp and aws require in oidc mode. */
const SSO = { oidc: { issuer: "https://login.example.com", clientSecret: "s3cret" } };
const quota = { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 50 };

describe("EksCluster: kubectl through the sign-on issuer and IAM access entries", () => {
    const eksArgs = {
        region: "us-east-1",
        availabilityZoneCount: 2,
        natPerZone: false,
        sharedFilesystem: true,
        gpuPools: [{ name: "l4", gpuType: "nvidia-l4", machineType: "g6.xlarge", maxNodes: 4 }],
    };
    const oidc = { issuer: "https://login.example.com/realms/ml", clientId: "mlops-platform" };
    const entries = [
        {
            principalArn: `arn:aws:iam::${ACCOUNT}:role/platform-admins`,
            policy: "AmazonEKSClusterAdminPolicy" as const,
        },
        {
            principalArn: `arn:aws:iam::${ACCOUNT}:user/ops/carol`,
            policy: "AmazonEKSViewPolicy" as const,
            namespaces: ["team-vision", "team-*"],
        },
    ];
    async function build(over: Partial<ConstructorParameters<typeof EksCluster>[1]> = {}) {
        const rec = record();
        const eks = new EksCluster("ml", { ...eksArgs, ...over });
        await settled();
        return { rec, eks, children: childList(rec, rec.get("mlops:cluster:EksCluster", "ml")) };
    }

    it("adds exactly an access entry and policy per principal and the identity provider config", async () => {
        const { children: plain, eks: plainEks } = await build();
        expect(plainEks.identityProviderConfig).toBeUndefined();
        expect(plainEks.memberPrefix).toBe("oidc:");
        const { children } = await build({ oidc, accessEntries: entries });
        expect(children.filter((c) => !plain.includes(c))).toEqual([
            `aws:eks/accessEntry:AccessEntry ml-access-${ACCOUNT}-role-platform-admins`,
            `aws:eks/accessEntry:AccessEntry ml-access-${ACCOUNT}-user-carol`,
            `aws:eks/accessPolicyAssociation:AccessPolicyAssociation ml-access-${ACCOUNT}-role-platform-admins`,
            `aws:eks/accessPolicyAssociation:AccessPolicyAssociation ml-access-${ACCOUNT}-user-carol`,
            "aws:eks/identityProviderConfig:IdentityProviderConfig ml-sso",
        ]);
        expect(plain.filter((c) => !children.includes(c))).toEqual([]);
    });

    it("trusts the issuer for its client, email as the user, groups, both with the oidc: prefix", async () => {
        const { rec, eks } = await build({ oidc });
        const config = rec.get("aws:eks/identityProviderConfig:IdentityProviderConfig", "ml-sso");
        expect(config.inputs).toEqual({
            clusterName: "ml",
            oidc: {
                identityProviderConfigName: "sso",
                issuerUrl: "https://login.example.com/realms/ml",
                clientId: "mlops-platform",
                usernameClaim: "email",
                usernamePrefix: "oidc:",
                groupsClaim: "groups",
                groupsPrefix: "oidc:",
            },
        });
        expect(eks.memberPrefix).toBe("oidc:");
        // EKS refuses the association while another cluster update runs: it waits for the node
        // groups and the add-ons.
        const urn = (type: string, name: string) => rec.get(type, name).urn;
        expect(config.dependsOn).toEqual(
            expect.arrayContaining([
                urn("aws:eks/nodeGroup:NodeGroup", "ml-system"),
                urn("aws:eks/nodeGroup:NodeGroup", "ml-l4"),
                urn("aws:eks/addon:Addon", "ml-ebs-csi"),
                urn("aws:eks/addon:Addon", "ml-efs-csi"),
            ]),
        );
    });

    it("takes the claims and a prefix of the caller's", async () => {
        const { rec, eks } = await build({
            oidc: { ...oidc, groupsClaim: "roles", usernameClaim: "upn" },
            oidcPrefix: "corp:",
        });
        expect(
            at(rec.get("aws:eks/identityProviderConfig:IdentityProviderConfig", "ml-sso"), "oidc"),
        ).toMatchObject({
            usernameClaim: "upn",
            usernamePrefix: "corp:",
            groupsClaim: "roles",
            groupsPrefix: "corp:",
        });
        expect(eks.memberPrefix).toBe("corp:");
    });

    it("gives each IAM principal its access policy, on the whole cluster or in its namespaces", async () => {
        const { rec } = await build({ accessEntries: entries });
        const key = `ml-access-${ACCOUNT}`;
        expect(
            rec.get("aws:eks/accessEntry:AccessEntry", `${key}-role-platform-admins`).inputs,
        ).toEqual({
            clusterName: "ml",
            principalArn: `arn:aws:iam::${ACCOUNT}:role/platform-admins`,
            type: "STANDARD",
        });
        const policy = (n: string) =>
            rec.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `${key}-${n}`)
                .inputs;
        expect(policy("role-platform-admins")).toEqual({
            clusterName: "ml",
            principalArn: `arn:aws:iam::${ACCOUNT}:role/platform-admins`,
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            accessScope: { type: "cluster" },
        });
        expect(policy("user-carol")).toEqual({
            clusterName: "ml",
            principalArn: `arn:aws:iam::${ACCOUNT}:user/ops/carol`,
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
            accessScope: { type: "namespace", namespaces: ["team-vision", "team-*"] },
        });
    });

    it("refuses a system: or empty prefix, an issuer EKS cannot use and a principal twice", () => {
        record();
        const make = (over: Partial<ConstructorParameters<typeof EksCluster>[1]>) => () =>
            new EksCluster("x", { region: "us-east-1", ...over });
        expect(make({ oidcPrefix: "system:oidc:" })).toThrow(
            new Error(
                'EksCluster x: oidcPrefix: got "system:oidc:"; must not contain "system:" (Kubernetes reserves system: names; EKS refuses it)',
            ),
        );
        expect(make({ oidcPrefix: "" })).toThrow(
            new Error('EksCluster x: oidcPrefix: got ""; must not be empty'),
        );
        expect(make({ oidc: { ...oidc, issuer: "http://login.example.com" } })).toThrow(
            new Error(
                'EksCluster x: oidc.issuer: got "http://login.example.com"; must be an https URL without a query (EKS fetches its keys from <issuer>/.well-known/openid-configuration)',
            ),
        );
        expect(
            make({ accessEntries: [entries[0], { ...entries[0], policy: "AmazonEKSViewPolicy" }] }),
        ).toThrow(
            new Error(
                `EksCluster x: accessEntries: ${ACCOUNT}-role-platform-admins is listed twice; an IAM principal has one access entry`,
            ),
        );
        expect(
            make({
                accessEntries: [
                    {
                        principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/admins/alice`,
                        policy: "AmazonEKSViewPolicy",
                    },
                ],
            }),
        ).toThrow(
            new Error(
                `accessEntries: principalArn: got "arn:aws:sts::${ACCOUNT}:assumed-role/admins/alice"; must be the ARN of an IAM role or user, arn:aws:iam::<account>:role/<name> or arn:aws:iam::<account>:user/<name>`,
            ),
        );
    });

    it("keys access entries by account, kind and name, whatever the path and partition", () => {
        expect(accessEntryKey(`arn:aws:iam::${ACCOUNT}:role/a/b/deploy`)).toBe(
            `${ACCOUNT}-role-deploy`,
        );
        expect(accessEntryKey(`arn:aws-us-gov:iam::${ACCOUNT}:user/bob@example.com`)).toBe(
            `${ACCOUNT}-user-bob@example.com`,
        );
    });
});

describe("GkeCluster: Google Groups for RBAC", () => {
    async function build(securityGroup?: string) {
        const rec = record();
        const gke = new GkeCluster("ml", { project: "p", region: "us-central1", securityGroup });
        await settled();
        return { cluster: rec.get("gcp:container/cluster:Cluster", "ml"), gke };
    }

    it("reads group memberships under the security group, and names members with no prefix", async () => {
        const { cluster, gke } = await build("gke-security-groups@example.com");
        expect(at(cluster, "authenticatorGroupsConfig")).toEqual({
            securityGroup: "gke-security-groups@example.com",
        });
        expect(gke.memberPrefix).toBe("");
    });

    it("has no security group unless given one", async () => {
        const { cluster } = await build();
        expect("authenticatorGroupsConfig" in cluster.inputs).toBe(false);
    });

    it("refuses a group GKE would not read", () => {
        record();
        expect(
            () =>
                new GkeCluster("x", {
                    project: "p",
                    region: "us-central1",
                    securityGroup: "ml-admins@example.com",
                }),
        ).toThrow(
            new Error(
                'GkeCluster x: securityGroup: got "ml-admins@example.com"; must be gke-security-groups@<your domain> (GKE requires that name)',
            ),
        );
    });
});

describe("members as RoleBinding subjects", () => {
    const subject = (kind: "User" | "Group", name: string) => ({ kind, name, apiGroup: RBAC });

    it("prefixes groups and users, skips bearer-token subjects, lists each once", () => {
        expect(
            memberSubjects(
                [
                    "group:ml-vision",
                    "user:alice@example.com",
                    "bob@example.com",
                    "sub:repo:example/models:ref:refs/heads/main",
                    "alice@example.com",
                    "group:ml-vision",
                ],
                "oidc:",
            ),
        ).toEqual([
            subject("Group", "oidc:ml-vision"),
            subject("User", "oidc:alice@example.com"),
            subject("User", "oidc:bob@example.com"),
        ]);
        expect(memberSubjects(["group:ml-vision@example.com", "user:a@example.com"], "")).toEqual([
            subject("Group", "ml-vision@example.com"),
            subject("User", "a@example.com"),
        ]);
        expect(memberSubjects(["sub:system:serviceaccount:ci:deployer"], "oidc:")).toEqual([]);
    });

    async function team(members: string[], memberPrefix?: string) {
        const rec = record();
        new Team("vision", {
            members,
            memberPrefix,
            quota,
            platformNamespace: "mlops",
            platformServices: TEAM_SERVICES,
        });
        await settled();
        return rec;
    }

    it("binds the member role to the prefixed members, oidc: unless told", async () => {
        const rec = await team(["group:ml-vision", "user:alice@example.com", "sub:ci"]);
        expect(at(rec.get(ROLE_BINDING, "vision-members"), "subjects")).toEqual([
            subject("Group", "oidc:ml-vision"),
            subject("User", "oidc:alice@example.com"),
        ]);
        const gke = await team(["group:ml-vision@example.com"], "");
        expect(at(gke.get(ROLE_BINDING, "vision-members"), "subjects")).toEqual([
            subject("Group", "ml-vision@example.com"),
        ]);
    });

    it("creates no member binding when every member is a bearer-token subject", async () => {
        const rec = await team(["sub:repo:example/models:ref:refs/heads/main"]);
        expect(childList(rec, rec.get("mlops:tenancy:Team", "vision"))).toEqual([
            "kubernetes:core/v1:LimitRange vision",
            "kubernetes:core/v1:Namespace vision",
            "kubernetes:core/v1:ResourceQuota vision",
            "kubernetes:core/v1:ResourceQuota vision-system-priority",
            "kubernetes:core/v1:ServiceAccount vision-runner",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-api-server",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-dns",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-from-router",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-platform-services",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-same-namespace",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-default-deny",
            "kubernetes:rbac.authorization.k8s.io/v1:Role vision-runner",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding vision-runner",
        ]);
    });
});

describe("config: the keys kubectl access adds", () => {
    const gcp = { project: "my-project", region: "us-central1" };
    const aws = { region: "us-east-1", accountId: ACCOUNT };
    const onGcp = (over: Record<string, unknown> = {}) => ({
        cloud: "gcp",
        cluster: { gcp: { ...gcp, ...over } },
        routing: { auth: SSO },
    });
    const onAws = (over: Record<string, unknown> = {}) => ({
        cloud: "aws",
        cluster: { aws: { ...aws, ...over } },
        routing: { auth: SSO },
    });

    it("resolves the member prefix per cloud: oidc: on local and aws, cluster.oidcPrefix on local, none on gcp", () => {
        expect(kubernetesMemberPrefix(parseConfig({}))).toBe("oidc:");
        expect(kubernetesMemberPrefix(parseConfig({ cluster: { oidcPrefix: "corp:" } }))).toBe(
            "corp:",
        );
        expect(kubernetesMemberPrefix(parseConfig({ cluster: { oidcPrefix: "" } }))).toBe("");
        expect(kubernetesMemberPrefix(parseConfig(onAws()))).toBe("oidc:");
        expect(kubernetesMemberPrefix(parseConfig(onGcp()))).toBe("");
    });

    it("refuses cluster.oidcPrefix where the platform decides the names, and a prefix that is unsafe", () => {
        expect(problems({ ...onGcp(), cluster: { gcp, oidcPrefix: "oidc:" } })).toEqual([
            'mlops:cluster.oidcPrefix: got "oidc:"; not used when mlops:cloud is gcp (GKE names Google accounts and groups with no prefix; on aws the platform gives EKS the prefix "oidc:"); it applies to mlops:cloud local: remove it',
        ]);
        expect(problems({ ...onAws(), cluster: { aws, oidcPrefix: "oidc:" } })).toEqual([
            'mlops:cluster.oidcPrefix: got "oidc:"; not used when mlops:cloud is aws (GKE names Google accounts and groups with no prefix; on aws the platform gives EKS the prefix "oidc:"); it applies to mlops:cloud local: remove it',
        ]);
        expect(problems({ cluster: { oidcPrefix: "system:" } })).toEqual([
            'mlops:cluster.oidcPrefix: got "system:"; must not contain "system:" (Kubernetes reserves system: names; EKS refuses it)',
        ]);
        expect(problems({ cluster: { oidcPrefix: "my org:" } })).toEqual([
            "mlops:cluster.oidcPrefix: got \"my org:\"; must be at most 64 characters without whitespace or ','",
        ]);
        expect(problems({ cluster: { oidcPrefix: 7 } })).toEqual([
            "mlops:cluster.oidcPrefix: got 7; must be a string",
        ]);
    });

    it("takes cluster.gcp.securityGroup only as GKE names it", () => {
        expect(
            parseConfig(onGcp({ securityGroup: "gke-security-groups@example.com" })).cluster.gcp,
        ).toMatchObject({ securityGroup: "gke-security-groups@example.com" });
        expect(parseConfig(onGcp()).cluster.gcp!.securityGroup).toBeUndefined();
        expect(problems(onGcp({ securityGroup: "ml-admins@example.com" }))).toEqual([
            'mlops:cluster.gcp.securityGroup: got "ml-admins@example.com"; must be gke-security-groups@<your domain>: GKE reads Google Groups for RBAC under a group of that name only',
        ]);
    });

    it("takes cluster.aws.accessEntries: IAM roles and users, an EKS access policy, namespaces", () => {
        expect(parseConfig(onAws()).cluster.aws!.accessEntries).toEqual([]);
        const entry = {
            principalArn: `arn:aws:iam::${ACCOUNT}:role/platform-admins`,
            policy: "AmazonEKSClusterAdminPolicy",
        };
        expect(parseConfig(onAws({ accessEntries: [entry] })).cluster.aws!.accessEntries).toEqual([
            entry,
        ]);
        expect(
            problems(
                onAws({
                    accessEntries: [
                        {
                            principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/admins/alice`,
                            policy: "AmazonEKSAdminPolicy",
                        },
                        { ...entry, policy: "cluster-admin" },
                        { ...entry, namespaces: [] },
                        { ...entry, namespaces: ["Team_Vision"] },
                    ],
                }),
            ),
        ).toEqual([
            `mlops:cluster.aws.accessEntries[0].principalArn: got "arn:aws:sts::${ACCOUNT}:assumed-role/admins/alice"; must be the ARN of an IAM role or user, e.g. arn:aws:iam::123456789012:role/platform-admins (not an assumed-role session)`,
            'mlops:cluster.aws.accessEntries[1].policy: got "cluster-admin"; must be one of "AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"',
            "mlops:cluster.aws.accessEntries[2].namespaces: got []; must list at least one namespace; leave it out for the whole cluster",
            "mlops:cluster.aws.accessEntries[3].namespaces[0]: got \"Team_Vision\"; must be a namespace name, '*' allowed as a wildcard",
        ]);
        expect(problems(onAws({ accessEntries: [entry, entry] }))).toEqual([
            `mlops:cluster.aws.accessEntries[1].principalArn: got "arn:aws:iam::${ACCOUNT}:role/platform-admins"; already listed at accessEntries[0]; an IAM principal has one access entry`,
        ]);
    });

    it("lists the access policies EksCluster knows", () => {
        expect([...EKS_ACCESS_POLICY_NAMES]).toEqual([...EKS_ACCESS_POLICIES]);
    });
});

describe("stacks: each cloud's cluster and every team name members alike", () => {
    const subjects = (rec: ReturnType<typeof record>, team: string) =>
        at(rec.get(ROLE_BINDING, `${team}-members`), "subjects");

    it("aws: EKS trusts routing.auth's issuer, client and claims, and lists the IAM principals", async () => {
        const rec = record();
        awsFoundation(
            parseConfig({
                cloud: "aws",
                cluster: {
                    name: "ml",
                    aws: {
                        region: "eu-west-1",
                        accountId: ACCOUNT,
                        accessEntries: [
                            {
                                principalArn: `arn:aws:iam::${ACCOUNT}:role/platform-admins`,
                                policy: "AmazonEKSClusterAdminPolicy",
                            },
                        ],
                    },
                },
                routing: {
                    auth: {
                        oidc: {
                            ...SSO.oidc,
                            clientId: "ml",
                            groupsClaim: "roles",
                            emailClaim: "upn",
                        },
                    },
                },
            }),
        );
        await settled();
        expect(
            rec.get("aws:eks/identityProviderConfig:IdentityProviderConfig", "ml-sso").inputs.oidc,
        ).toEqual({
            identityProviderConfigName: "sso",
            issuerUrl: "https://login.example.com",
            clientId: "ml",
            usernameClaim: "upn",
            usernamePrefix: "oidc:",
            groupsClaim: "roles",
            groupsPrefix: "oidc:",
        });
        expect(
            rec
                .ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
                .map((r) => [r.name, r.inputs.policyArn]),
        ).toEqual([
            [
                `ml-access-${ACCOUNT}-role-platform-admins`,
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            ],
        ]);
    });

    it("aws: no identity provider config without single sign-on", async () => {
        const rec = record();
        awsFoundation(
            parseConfig({
                cloud: "aws",
                cluster: { name: "ml", aws: { region: "eu-west-1", accountId: ACCOUNT } },
                routing: { auth: { mode: "basic" } },
            }),
        );
        await settled();
        expect(rec.ofType("aws:eks/identityProviderConfig:IdentityProviderConfig")).toEqual([]);
        expect(rec.ofType("aws:eks/accessEntry:AccessEntry")).toEqual([]);
    });

    it("gcp: Google Groups from cluster.gcp.securityGroup; inline teams bind group emails as they are", async () => {
        const rec = record();
        const config = parseConfig({
            cloud: "gcp",
            cluster: {
                name: "ml",
                gcp: {
                    ...{ project: "my-project", region: "us-central1" },
                    securityGroup: "gke-security-groups@example.com",
                },
            },
            routing: { auth: SSO },
            teams: [{ name: "vision", members: ["group:ml-vision@example.com", "sub:ci"] }],
        });
        const f = gcpFoundation(config);
        await settled();
        expect(f.cluster.memberPrefix).toBe("");
        expect(
            at(rec.get("gcp:container/cluster:Cluster", "ml"), "authenticatorGroupsConfig"),
        ).toEqual({
            securityGroup: "gke-security-groups@example.com",
        });
        const platform = record();
        platformStack(config);
        await settled();
        expect(subjects(platform, "vision")).toEqual([
            { kind: "Group", name: "ml-vision@example.com", apiGroup: RBAC },
        ]);
    });

    it("local: the existing cluster's prefix from cluster.oidcPrefix, on inline teams", async () => {
        record();
        const f = localFoundation(parseConfig({ cluster: { oidcPrefix: "corp:" } }));
        expect((f.cluster as ExistingCluster).memberPrefix).toBe("corp:");
        const rec = record();
        platformStack(
            parseConfig({
                teams: [{ name: "nlp", members: ["alice@example.com", "group:ml-nlp"] }],
            }),
        );
        await settled();
        expect(subjects(rec, "nlp")).toEqual([
            { kind: "User", name: "oidc:alice@example.com", apiGroup: RBAC },
            { kind: "Group", name: "oidc:ml-nlp", apiGroup: RBAC },
        ]);
        // kubelogin signs members in at the bundled Dex with the platform's client.
        const dexConfig = yaml.load(
            at(
                rec.get("kubernetes:core/v1:Secret", "mlops-dex-config"),
                "stringData",
                "config.yaml",
            ) as string,
        ) as { staticClients: { id: string; redirectURIs: string[] }[] };
        expect(dexConfig.staticClients.map((c) => [c.id, c.redirectURIs])).toEqual([
            [
                "mlops-platform",
                [
                    "https://auth.mlops.localtest.me/oauth2/callback",
                    "http://localhost:8000",
                    "http://localhost:18000",
                ],
            ],
            // Argo Workflows' own client (its server signs people in itself).
            ["argo-workflows", ["https://argo.mlops.localtest.me/oauth2/callback"]],
        ]);
        expect(KUBELOGIN_REDIRECT_URIS).toEqual([
            "http://localhost:8000",
            "http://localhost:18000",
        ]);
    });
});

describe("docs/identity/kubectl.md: the local flags are the ones the bindings need", () => {
    const doc = fs.readFileSync(
        path.join(__dirname, "..", "..", "docs", "identity", "kubectl.md"),
        "utf8",
    );
    const config = parseConfig({});
    const expected = {
        "oidc-issuer-url": `https://dex.${config.domain}`,
        "oidc-client-id": config.routing.auth.oidc.clientId,
        "oidc-username-claim": config.routing.auth.oidc.emailClaim,
        "oidc-username-prefix": kubernetesMemberPrefix(config),
        "oidc-groups-claim": config.routing.auth.oidc.groupsClaim,
        "oidc-groups-prefix": kubernetesMemberPrefix(config),
    };

    it("kind: the kubeadm patch's extraArgs, and the CA file mounted into the API server", () => {
        const kindConfig = /cat > kind-oidc\.yaml <<EOF\n([\s\S]*?)\nEOF/.exec(doc)![1];
        const cluster = yaml.load(kindConfig.replace(/\$PWD/g, "/home/me")) as any;
        expect(cluster.nodes[0].extraMounts).toEqual([
            { hostPath: "/home/me/oidc", containerPath: "/etc/kubernetes/oidc", readOnly: true },
        ]);
        const patch = yaml.load(cluster.kubeadmConfigPatches[0]) as any;
        // No apiVersion: kind applies it to whichever kubeadm version it generates.
        expect(patch.apiVersion).toBeUndefined();
        expect(patch.kind).toBe("ClusterConfiguration");
        expect(patch.apiServer.extraArgs).toEqual({
            ...expected,
            "oidc-ca-file": "/etc/kubernetes/oidc/ca.crt",
        });
        expect(patch.apiServer.extraVolumes).toEqual([
            {
                name: "oidc",
                hostPath: "/etc/kubernetes/oidc",
                mountPath: "/etc/kubernetes/oidc",
                readOnly: true,
                pathType: "Directory",
            },
        ]);
    });

    it("k3d: the same flags as --kube-apiserver-arg on the servers", () => {
        const args = Object.fromEntries(
            [...doc.matchAll(/--k3s-arg "--kube-apiserver-arg=([a-z-]+)=(.*?)@server:\*"/g)].map(
                (m) => [m[1], m[2]],
            ),
        );
        expect(args).toEqual({ ...expected, "oidc-ca-file": "/etc/mlops-oidc/ca.crt" });
        expect(doc).toContain('--volume "$PWD/oidc:/etc/mlops-oidc@server:*"');
    });
});
