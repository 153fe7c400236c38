/** Why each policy exists: one line each, for the generated policy table. */
export const rationale: Readonly<Record<string, string>> = {
    "k8s-container-resources":
        "Without requests the scheduler overpacks nodes; without limits one training job can starve the platform.",
    "k8s-image-pinned": "A moving tag changes what runs without a diff, and breaks rollbacks.",
    "k8s-no-privileged": "A privileged container owns its node and every workload on it.",
    "k8s-run-as-non-root": "Root in a container is one kernel bug away from root on the node.",
    "k8s-no-privilege-escalation":
        "Stops setuid binaries from regaining privileges the container dropped.",
    "k8s-drop-all-capabilities": "Capabilities a workload does not need are attack surface.",
    "k8s-read-only-root-filesystem":
        "An attacker cannot drop tools into an immutable image; writes go to declared volumes.",
    "k8s-no-host-path": "Host paths expose node files, kubelet sockets and other tenants' data.",
    "k8s-no-host-namespaces":
        "Sharing the node's network or PID namespace bypasses network policies and isolation.",
    "k8s-readiness-probe":
        "Without readiness, rollouts and the router send traffic to pods that are not serving.",
    "traefik-route-https-only":
        "Tokens, passwords and model inputs must not cross the network in clear text.",
    "traefik-redirects-http-to-https":
        "Users who type http:// should land on HTTPS, never on a clear-text page.",
    "traefik-route-authenticated":
        "Tracking servers and feature stores hold data and accept writes: no anonymous access.",
    "sso-route-group-rule":
        "A route that admits anyone who can sign in lets one team read another's runs and models.",
    "sso-on-every-route":
        "A shared password knows no user and no team; a cookie sent over HTTP can be stolen.",
    "no-everyone-bindings":
        "system:authenticated is every account the cluster trusts, in every team and none.",
    "k8s-ingress-tls": "Plain Ingresses bypass the router's HTTPS defaults.",
    "object-store-no-anonymous-access":
        "Datasets and model artifacts are the platform's most valuable data.",
    "gcs-bucket-private":
        "Uniform access and public access prevention rule out a public object by ACL.",
    "gcs-artifact-bucket-versioned": "Versioning recovers overwritten or deleted model artifacts.",
    "s3-public-access-block": "All four switches are needed to rule out public ACLs and policies.",
    "s3-bucket-blocked-and-encrypted":
        "A bucket created without its guards is public-capable and unencrypted at rest.",
    "gke-secrets-encryption":
        "Secrets in etcd hold database passwords and store keys; a customer key can be revoked and audited.",
    "gke-control-plane-restricted":
        "An API server reachable from any address is one credential leak or CVE away from the cluster.",
    "eks-node-metadata-protected":
        "A pod that reaches instance metadata takes the node's role, whatever its own IRSA role allows.",
    "database-production-tier":
        "Shared-core and burstable databases have no SLA or throttle when their credits run out.",
    "routes-trusted-certificate":
        "Clients taught to click through certificate warnings cannot tell an attacker's certificate from ours.",
    "helm-repository-https":
        "A chart fetched over plain HTTP can be swapped on the way for one that runs anything.",
    "efs-encrypted":
        "Shared training data at rest must be encrypted; EFS cannot be encrypted after creation.",
    "data-stores-protected":
        "In production a refactor or a mistaken destroy must not delete databases, buckets or volumes.",
    "database-not-public":
        "The tracking database holds every run and model version; it has no business on the internet.",
    "database-backups": "Backups are the only way back from corruption or a bad migration.",
    "database-deletion-protection":
        "The cloud's own guard against deleting the production database.",
    "rds-storage-encrypted": "RDS storage cannot be encrypted after creation.",
    "gke-private-nodes": "Nodes with public IPs are reachable from the internet.",
    "gke-workload-identity":
        "Pods get short-lived Google credentials instead of exported service account keys.",
    "gke-shielded-nodes": "Secure boot and integrity monitoring stop node-level rootkits.",
    "gke-release-channel": "Clusters outside a channel fall behind on security patches.",
    "gke-gpu-pool-scales-to-zero": "Idle GPUs are the largest line of an ML platform's bill.",
    "gke-gpu-pool-bounded": "An unbounded autoscaler turns a runaway job into an unbounded bill.",
    "gke-gpu-pool-tainted": "Without the taint, ordinary pods fill expensive GPU nodes.",
    "eks-endpoint-restricted":
        "An API server open to the internet invites credential stuffing and zero-days.",
    "eks-secrets-encryption": "Envelope encryption keeps Secrets unreadable in etcd backups.",
    "eks-control-plane-logs": "Audit logs are needed to investigate who did what in the cluster.",
    "eks-gpu-group-scales-to-zero": "Idle GPUs are the largest line of an ML platform's bill.",
    "eks-gpu-group-tainted": "Without the taint, ordinary pods fill expensive GPU nodes.",
    "team-namespace-gpu-quota": "Without a GPU quota one team can take every GPU in the cluster.",
    "team-namespace-default-deny":
        "Teams' workloads and data stay isolated unless traffic is allowed explicitly.",
    "team-gpu-quota-within-capacity":
        "Quotas the pools can never satisfy leave jobs pending and teams misled about what they have.",
    "helm-chart-pinned": "A version range installs whatever was published last, untested.",
    "gcp-team-bucket-access-confined":
        "An unconditioned role on a shared bucket lets one team read, list, overwrite or delete another team's data.",
    "aws-team-bucket-access-confined":
        "A grant on a whole shared bucket lets one team read, list, overwrite or delete another team's data.",
    "object-store-team-identities-confined":
        "A bucket-wide action in the in-cluster store lets one team read or list another team's datasets and models; an action that holds for a bucket-level request lets it set lifecycle rules that delete them.",
};
