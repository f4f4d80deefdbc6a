import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { z } from 'zod';

/**
 * How the worker, FleetClient and the CLI reach Temporal beyond its address: TLS (server CA, server
 * name, a client certificate for mTLS) and an API key. Read from the environment variables the
 * `temporal` CLI itself reads, plus TEMPORAL_API_KEY_FILE for a key mounted from a Secret; files are
 * read here, once, so a bad path stops the program at start with the variable's name.
 */
export interface TemporalConnectionSecurity {
  /** Absent: plain TLS-less gRPC, unless an API key is given (the SDK then turns TLS on). False: never TLS. */
  readonly tls?: TLSConfig | false;
  readonly apiKey?: string;
}

const flag = z.enum(['true', 'false', '1', '0'], { message: "must be 'true' or 'false'" }).transform((value) => value === 'true' || value === '1');
const path = z.string().trim().min(1, 'must name a file');

const securitySchema = z.object({
  TEMPORAL_TLS: flag.optional(),
  TEMPORAL_TLS_CERT: path.optional(),
  TEMPORAL_TLS_KEY: path.optional(),
  TEMPORAL_TLS_CA: path.optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().trim().min(1, 'must not be empty').optional(),
  TEMPORAL_API_KEY: z.string().trim().min(1, 'must not be empty').optional(),
  TEMPORAL_API_KEY_FILE: path.optional(),
}).superRefine((env, ctx) => {
  const problem = (variable: string, message: string): void => void ctx.addIssue({ code: 'custom', path: [variable], message });
  if ((env.TEMPORAL_TLS_CERT === undefined) !== (env.TEMPORAL_TLS_KEY === undefined)) {
    problem(env.TEMPORAL_TLS_CERT === undefined ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY', 'a client certificate needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY');
  }
  if (env.TEMPORAL_API_KEY !== undefined && env.TEMPORAL_API_KEY_FILE !== undefined) problem('TEMPORAL_API_KEY_FILE', 'TEMPORAL_API_KEY is set too; set one');
  const tlsDetail = [env.TEMPORAL_TLS_CERT, env.TEMPORAL_TLS_CA, env.TEMPORAL_TLS_SERVER_NAME].some((value) => value !== undefined);
  if (env.TEMPORAL_TLS === false && tlsDetail) problem('TEMPORAL_TLS', 'is false, but TLS certificates or a server name are set');
});

export type TemporalConnectionEnvironment = z.input<typeof securitySchema>;

export class InvalidConnectionConfig extends Error {
  override readonly name = 'InvalidConnectionConfig';
}

function fileBytes(variable: string, file: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    problems.push(`${variable}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return undefined;
  }
}

function pem(variable: string, file: string, label: RegExp, problems: string[]): Buffer | undefined {
  const bytes = fileBytes(variable, file, problems);
  if (bytes && !label.test(bytes.toString('utf8'))) problems.push(`${variable}: ${file} is not a PEM file of the expected kind`);
  return bytes;
}

/** One list of problems, each naming its variable; never echoes a key or an API key. */
export function parseTemporalConnectionSecurity(env: Record<string, string | undefined>): TemporalConnectionSecurity {
  const parsed = securitySchema.safeParse(Object.fromEntries(Object.keys(securitySchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]])));
  if (!parsed.success) throw new InvalidConnectionConfig(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  const settings = parsed.data;
  const problems: string[] = [];
  const certificate = /-----BEGIN CERTIFICATE-----/;
  const crt = settings.TEMPORAL_TLS_CERT === undefined ? undefined : pem('TEMPORAL_TLS_CERT', settings.TEMPORAL_TLS_CERT, certificate, problems);
  const key = settings.TEMPORAL_TLS_KEY === undefined ? undefined : pem('TEMPORAL_TLS_KEY', settings.TEMPORAL_TLS_KEY, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, problems);
  const ca = settings.TEMPORAL_TLS_CA === undefined ? undefined : pem('TEMPORAL_TLS_CA', settings.TEMPORAL_TLS_CA, certificate, problems);
  const apiKeyFromFile = settings.TEMPORAL_API_KEY_FILE === undefined ? undefined : fileBytes('TEMPORAL_API_KEY_FILE', settings.TEMPORAL_API_KEY_FILE, problems)?.toString('utf8').trim();
  if (settings.TEMPORAL_API_KEY_FILE !== undefined && apiKeyFromFile === '') problems.push(`TEMPORAL_API_KEY_FILE: ${settings.TEMPORAL_API_KEY_FILE} is empty`);
  if (problems.length > 0) throw new InvalidConnectionConfig(problems.join('; '));
  const apiKey = settings.TEMPORAL_API_KEY ?? apiKeyFromFile;
  const wantsTls = settings.TEMPORAL_TLS === true || crt !== undefined || ca !== undefined || settings.TEMPORAL_TLS_SERVER_NAME !== undefined;
  const tls: TLSConfig | false | undefined = settings.TEMPORAL_TLS === false ? false : wantsTls ? {
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(settings.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: settings.TEMPORAL_TLS_SERVER_NAME } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
  } : undefined;
  return { ...(tls === undefined ? {} : { tls }), ...(apiKey ? { apiKey } : {}) };
}
