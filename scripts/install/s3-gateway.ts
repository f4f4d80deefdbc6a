import { dirname } from 'node:path';
import { VERSIONS, type Toolchain } from '../toolchain';
import { goEnvironment } from './kubernetes';
import { ensureBuilt, run } from './steps';

/**
 * Versity's S3 gateway (Apache-2.0) serves a plain folder over the S3 API, with accounts and bucket
 * policies of its own: real S3 for Flink's `s3://` checkpoints, built from the Go module proxy since
 * no release binary can be downloaded here. MinIO would do the same, but it is AGPL.
 */
export async function installS3Gateway(tools: Toolchain): Promise<void> {
  const bin = dirname(tools.s3GatewayBinary);
  await ensureBuilt('s3-gateway', dirname(bin), () => {
    // `go install pkg@version` resolves the gateway's own go.mod and rejects -mod.
    const env = { ...goEnvironment(tools), GOFLAGS: '', GOBIN: bin };
    run('go', ['install', '-trimpath', '-ldflags=-s -w', `github.com/versity/versitygw/cmd/versitygw@v${VERSIONS.versitygw}`],
      { cwd: tools.goPath, env, progress: { component: 's3-gateway', label: `building versitygw v${VERSIONS.versitygw}`, estimateSeconds: 60 } });
    run(tools.s3GatewayBinary, ['--version']);
  });
}
