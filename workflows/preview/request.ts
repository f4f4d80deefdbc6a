import { z } from 'zod';
import { tenantName } from '../tenant-name';
import { InvalidPreviewError } from './policy';

/**
 * The input of preview, validated at the client and again, deterministically, at the workflow's
 * start: one schema gives the type, the defaults and the message naming the field. The SQL itself is
 * judged later, in the workflow, on Flink's own reading of it (policy.ts).
 */
export const DEFAULT_POOL = 'previews';
/** Temporal refuses payloads over 2 MB; the rows stay well below, with room for the rest of the result. */
export const MAX_RESULT_BYTES = 1024 * 1024;

const dnsLabel = (max: number) => z.string()
  .max(max, `must be at most ${max} characters`)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit");

export const previewRequestSchema = z.object({
  tenant: tenantName,
  sql: z.string().trim().min(1, 'must not be empty').max(64 * 1024, 'must be at most 64 KiB'),
  maxRows: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000').default(30),
  /** The whole preview, claim included; a workflow timer, so it holds while no worker runs. */
  timeoutSeconds: z.number().int('must be a whole number').min(1, 'must be at least 1').max(600, 'must be at most 600').default(120),
  /** The rows kept; beyond it the preview stops and says `truncated`. */
  maxResultBytes: z.number().int('must be a whole number').min(1024, 'must be at least 1024').max(MAX_RESULT_BYTES, `must be at most ${MAX_RESULT_BYTES}`)
    .default(512 * 1024),
  /** The idle pool (and so the session cluster) to run on. */
  pool: dnsLabel(30).default(DEFAULT_POOL),
}).strict();

export type PreviewRequestInput = z.input<typeof previewRequestSchema>;
export type PreviewRequest = z.output<typeof previewRequestSchema>;

function describeIssue(issue: z.core.$ZodIssue): string {
  const message = issue.code === 'invalid_type' && issue.message.endsWith('received undefined') ? 'is required' : issue.message;
  return `${['request', ...issue.path.map(String)].join('.')}: ${message}`;
}

/** The request with defaults, or InvalidPreviewError naming the field. */
export function parsePreviewRequest(input: unknown): PreviewRequest {
  const parsed = previewRequestSchema.safeParse(input);
  if (!parsed.success) throw new InvalidPreviewError(`invalid preview request: ${parsed.error.issues.map(describeIssue).join('; ')}`);
  return parsed.data;
}

export function previewWorkflowId(tenant: string, id: string): string {
  return `preview/${tenant}/${id}`;
}
