import { z } from 'zod';
import type { PoolConfig } from './api';

/** The pool's configuration with its defaults, validated at the client and at the workflow's start. */
const resources = z.object({
  cpu: z.number().positive('must be more than 0 cores').max(16, 'must be at most 16 cores'),
  memoryMb: z.number().int('must be a whole number of MB').min(768, 'must be at least 768 MB').max(32_768, 'must be at most 32768 MB'),
}).strict();

const count = (max: number) => z.number().int('must be a whole number').min(0, 'must be at least 0').max(max, `must be at most ${max}`);

export const poolConfigSchema = z.object({
  sessionCluster: z.string().max(30, 'must be at most 30 characters')
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-'"),
  target: count(64).default(2),
  maxTarget: count(64).default(8),
  maxTaskManagers: count(256).default(16),
  jobManager: resources.default({ cpu: 1, memoryMb: 1024 }),
  taskManager: resources.default({ cpu: 1, memoryMb: 1024 }),
  reconcileSeconds: z.number().int('must be a whole number').min(1, 'must be at least 1').max(600, 'must be at most 600').default(10),
  autoSize: z.object({
    minTarget: count(64).default(1),
    windowSeconds: z.number().int('must be a whole number').min(10, 'must be at least 10').max(3600, 'must be at most 3600').default(60),
    quietSeconds: z.number().int('must be a whole number').min(10, 'must be at least 10').max(86_400, 'must be at most 86400').default(300),
    headroom: z.number().min(1, 'must be at least 1').max(4, 'must be at most 4').default(1.5),
  }).strict().optional(),
}).strict()
  .refine((c) => c.target <= c.maxTarget, { path: ['target'], message: 'must be at most maxTarget' })
  .refine((c) => c.maxTarget <= c.maxTaskManagers, { path: ['maxTarget'], message: 'must be at most maxTaskManagers' })
  .refine((c) => !c.autoSize || c.autoSize.minTarget <= c.maxTarget, { path: ['autoSize', 'minTarget'], message: 'must be at most maxTarget' });

export class InvalidPoolConfigError extends Error {
  override readonly name = 'InvalidPoolConfig';
}

export function parsePoolConfig(input: unknown): PoolConfig {
  const parsed = poolConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${['config', ...issue.path.map(String)].join('.')}: ${issue.message}`);
  throw new InvalidPoolConfigError(`invalid pool config: ${problems.join('; ')}`);
}

/** A resize outside 0..maxTarget is refused before it enters the history. */
export function checkResize(target: unknown, maxTarget: number): void {
  if (typeof target !== 'number' || !Number.isInteger(target) || target < 0 || target > maxTarget) {
    throw new InvalidPoolConfigError(`resize takes a whole number of idle TaskManagers from 0 to ${maxTarget}, not ${String(target)}`);
  }
}
