import { InvalidArgumentError } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { InvalidCodecKeys, parseCodecKeys } from '../codec/keys';
import type { DeclaredEndpoint } from '../../workflows/pipeline/egress';
import { JAR_DIGEST, JAR_DIGEST_RULE } from '../../workflows/pipeline/jar-digest';
import { pipelineSpecSchema } from '../../workflows/pipeline/spec';
import { previewRequestSchema } from '../../workflows/preview/request';
import { tenantName } from '../../workflows/tenant-name';

/**
 * Every flag value the CLI takes is judged here, by commander at parse time: before any action
 * runs, so before any connection to Temporal or any process is started. Commander turns a thrown
 * InvalidArgumentError into "error: option '--x <v>' argument 'bad' is invalid. <reason>" (or "value
 * 'bad' from env 'X'") and main.ts into exit 2. Rules the fleet itself applies come from the same
 * zod schemas the client and the workflows use, so the CLI never accepts what they refuse.
 */
function judged<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((issue) => issue.message).join('; '));
  return parsed.data;
}

function bySchema<T>(schema: z.ZodType<T>, read: (value: string) => unknown = (value) => value): (value: string) => T {
  return (value) => judged(schema, read(value));
}

/** A number only if all of the text is one: `Number('')` and `Number(' ')` are 0, `parseInt('3x')` is 3. */
function wholeNumber(value: string): number {
  if (!/^\s*-?\d+\s*$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

/** Digits with at most one point: `Number` would also take '', '0x1' and '1e3'. */
function decimalNumber(value: string): number {
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value)) throw new InvalidArgumentError('must be a number, such as 0.5');
  return Number(value);
}

export function nonNegativeInt(value: string): number {
  const parsed = wholeNumber(value);
  if (parsed < 0) throw new InvalidArgumentError('must be a whole number of 0 or more');
  return parsed;
}

export function port(value: string): number {
  const parsed = wholeNumber(value);
  if (parsed < 1 || parsed > 65_535) throw new InvalidArgumentError('must be a port number from 1 to 65535');
  return parsed;
}

export const tenant = bySchema(tenantName);
export const pipelineName = bySchema(pipelineSpecSchema.shape.name);
export const parallelism = bySchema(pipelineSpecSchema.shape.parallelism.unwrap(), wholeNumber);
export const cores = bySchema(pipelineSpecSchema.shape.jobManager.unwrap().shape.cpu, decimalNumber);

export const diskMb = bySchema(pipelineSpecSchema.shape.taskManager.unwrap().shape.ephemeralStorageMb.unwrap(), wholeNumber);

/**
 * `--option key=value`, repeatable, into the spec's flinkOptions. Only its form is judged here; which
 * options a tenant may set, and to what, is the spec's rule, checked with the whole spec.
 */
export function flinkOption(value: string, previous: Readonly<Record<string, string>> = {}): Record<string, string> {
  const at = value.indexOf('=');
  const key = value.slice(0, Math.max(at, 0)).trim();
  const setting = value.slice(at + 1).trim();
  if (at < 0 || key === '' || setting === '') throw new InvalidArgumentError('must be key=value, such as state.backend.type=rocksdb');
  if (key in previous) throw new InvalidArgumentError(`${key} is given twice`);
  return { ...previous, [key]: setting };
}
/**
 * `--egress address[/prefix]:port`, repeatable, into the spec's egress: a bare address is its /32.
 * Each endpoint meets the spec's rules here (egress.ts), so a refused one names the flag and value.
 */
const declaredEndpoint = pipelineSpecSchema.shape.egress.removeDefault().element;
export function egressEndpoint(value: string, previous: readonly DeclaredEndpoint[] = []): DeclaredEndpoint[] {
  const at = value.lastIndexOf(':');
  if (at < 0) throw new InvalidArgumentError('must be address[/prefix]:port, such as 203.0.113.7:9092');
  const address = value.slice(0, at).trim();
  const endpoint = judged(declaredEndpoint, { cidr: address.includes('/') ? address : `${address}/32`, port: wholeNumber(value.slice(at + 1)) });
  if (previous.some((p) => p.cidr === endpoint.cidr && p.port === endpoint.port)) throw new InvalidArgumentError(`${endpoint.cidr}:${endpoint.port} is given twice`);
  return [...previous, endpoint];
}
export const maxRows = bySchema(previewRequestSchema.shape.maxRows.unwrap(), wholeNumber);
export const poolName = bySchema(previewRequestSchema.shape.pool.unwrap());

/** A cluster's folder name (`<tenant>--<name>`, or a hashed one): a DNS-1123 label, so never a path. */
export function clusterName(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) throw new InvalidArgumentError('must be a cluster name such as acme--orders (a DNS-1123 label)');
  return value;
}

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const previewTimeout = previewRequestSchema.shape.timeoutSeconds.unwrap();

/** `90`, `90s`, `2m`: seconds unless a unit says otherwise; within what a preview may last. */
export function previewTimeoutSeconds(value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a duration such as 90s, 2m or 1h');
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1_000);
  const seconds = Math.round(ms / 1_000);
  const max = previewTimeout.maxValue ?? Infinity;
  if (seconds < 1 || seconds > max) throw new InvalidArgumentError(`must be from 1s to ${max}s`);
  return seconds;
}

/** `host:port` as gRPC dials it; a scheme or a path would only fail later, at connect. */
export function temporalAddress(value: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be host:port, e.g. 127.0.0.1:7233');
  port(match[3] as string);
  return value;
}

/** Temporal's namespaces and task queues are free text, but never blank or spaced: such a name is a typo. */
export function temporalName(value: string): string {
  if (!/^\S{1,255}$/.test(value)) throw new InvalidArgumentError('must be 1 to 255 characters without spaces');
  return value;
}

/** An http(s) origin or base URL; links are built by appending to it, so a trailing slash is dropped. */
export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http:// or https:// URL');
  if (url.search || url.hash || url.username) throw new InvalidArgumentError('must have no query, fragment or user');
  return value.replace(/\/+$/, '');
}

export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value;
}

/** Java's own rule for a binary class name, so a typo is caught here rather than as Flink's ClassNotFound. */
export function javaClassName(value: string): string {
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(value)) throw new InvalidArgumentError('must be a Java class name such as org.example.Job');
  return value;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** The file's text, read at parse time: a file that is missing or unreadable is bad input, not a failure. */
export function fileText(path: string): string {
  const text = readText(path);
  if (text.trim() === '') throw new InvalidArgumentError(`${path} is empty`);
  return text;
}

/** A jar is named by its digest, as `artifact put` printed it: the worker fetches it from the tenant's artifact area only. */
export function jarDigest(value: string): string {
  if (!JAR_DIGEST.test(value)) throw new InvalidArgumentError(JAR_DIGEST_RULE);
  return value;
}

/** A storage root as the worker is given it: `file:///<absolute path>` (the local runtime) or `s3://bucket/prefix`. */
export function storageRoot(value: string): string {
  if (!/^(file:\/\/\/|s3a?:\/\/[^/\s]+)\S*$/.test(value)) throw new InvalidArgumentError('must be a storage URI such as file:///var/lib/flink-fleet/storage or s3://bucket/flink-fleet');
  return value;
}

/** A jar to put into a tenant's artifact area: read whole here, so a missing or empty file is bad input. */
export function jarFile(path: string): string {
  const absolute = isAbsolute(path) ? path : resolve(path);
  try {
    if (statSync(absolute).size === 0) throw new InvalidArgumentError(`${path} is empty`);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return absolute;
}

/** A file of payload keys, checked whole: `dev` commands never read it otherwise, and a bad key would surface only at connect. */
export function codecKeyFile(path: string): string {
  // Blank is unset, as codecKeysFrom reads FLEET_CODEC_KEY_FILE.
  if (path.trim() === '') return path;
  try {
    parseCodecKeys(readText(path), path);
  } catch (error) {
    if (error instanceof InvalidCodecKeys) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return path;
}

const MIN_TOKEN = 16;

/** The codec server's token, from its file: short enough to guess is refused. */
export function codecServerToken(path: string): string {
  const token = readText(path).trim();
  if (token.length < MIN_TOKEN) throw new InvalidArgumentError(`${path} must hold a token of at least ${MIN_TOKEN} characters`);
  return token;
}

/** A folder, or a path where one can be made: an existing file there would only fail after processes started. */
export function directory(path: string): string {
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) throw new InvalidArgumentError(`${path} exists and is not a directory`);
  return path;
}
