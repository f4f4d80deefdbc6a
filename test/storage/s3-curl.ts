import { spawnSync } from 'node:child_process';
import type { S3Credentials, S3Gateway } from '../../client/dev/s3-gateway';

/**
 * curl signs AWS Signature V4 itself: an S3 client that is not ours, so the gateway is judged by a
 * stranger. It signs the query as written, so callers write it as SigV4 canonicalizes it: parameters
 * sorted, values percent-encoded (`%2F`), or the gateway answers SignatureDoesNotMatch.
 */
export function s3(gateway: S3Gateway, credentials: S3Credentials, method: string, path: string, upload?: string): { status: number; body: string } {
  const args = ['-s', '-X', method, '-w', '\n%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:s3',
    '--user', `${credentials.accessKeyId}:${credentials.secretAccessKey}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD',
    ...(upload ? ['-T', upload] : []), `${gateway.endpoint}${path}`];
  const result = spawnSync('curl', args, { encoding: 'utf8' });
  const lines = result.stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}
