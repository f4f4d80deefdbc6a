import { z } from 'zod';
import { FLEET_TENANT } from './pool/api';

/**
 * What a tenant may be called: the one rule both the pipeline spec and the preview request apply.
 * Pure, so the workflow sandbox and the client share it.
 *
 * Some names are the fleet's: `fleet` runs the shared preview session cluster (a tenant `fleet` with a
 * pipeline `previews` would take it over, and its compensation delete it), and a tenant's namespace is
 * `flink-fleet-<tenant>`, so names that read as the worker's or Kubernetes' own namespaces are kept
 * back too, whatever prefix an installation configures.
 */
const RESERVED_TENANTS: readonly string[] = [FLEET_TENANT, 'default', 'system', 'worker', 'admin', 'flink-fleet'];
const RESERVED_TENANT_PREFIXES: readonly string[] = ['kube-', 'flink-fleet-', 'openshift-'];

function reservedTenantReason(tenant: string): string | undefined {
  if (RESERVED_TENANTS.includes(tenant)) return `"${tenant}" is reserved for the fleet's own clusters and namespaces`;
  const prefix = RESERVED_TENANT_PREFIXES.find((p) => tenant.startsWith(p));
  return prefix === undefined ? undefined : `"${tenant}" is reserved: tenants may not start with "${prefix}" (system and fleet namespaces do)`;
}

const MAX_TENANT = 30;

export const tenantName = z.string()
  .max(MAX_TENANT, `must be at most ${MAX_TENANT} characters`)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit")
  .superRefine((tenant, ctx) => {
    const reason = reservedTenantReason(tenant);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
  });
