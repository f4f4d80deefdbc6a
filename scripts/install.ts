import { toolchain } from './toolchain';
import { installChromium } from './install/chromium';
import { installFlink } from './install/flink';
import { installHelm } from './install/helm';
import { installFlinkImage } from './install/images/flink-image';
import { installPauseImage } from './install/images/pause';
import { installKubernetes } from './install/kubernetes';
import { installKubernetesNode } from './install/kubernetes-node';
import { installS3Gateway } from './install/s3-gateway';
import { installSqlInspector } from './install/sql-inspector';
import { installTemporal } from './install/temporal';
import { requireCommand } from './install/steps';

/** Idempotent: a second run finds every stamp and downloads nothing. */
async function main(): Promise<void> {
  requireCommand('python3', ['--version'], 'install Python 3 (Debian: apt-get install python3 python3-venv)');
  requireCommand('java', ['-version'], 'install Java 17 (Debian: apt-get install openjdk-17-jre-headless)');
  requireCommand('mvn', ['--version'], 'install Maven (Debian: apt-get install maven)');
  requireCommand('go', ['version'], 'install Go 1.26 or newer (the Kubernetes control plane is built from source)');
  // The SQL inspector is compiled here, against the cached Flink.
  requireCommand('javac', ['-version'], 'install a Java 17 JDK (Debian: apt-get install openjdk-17-jdk-headless)');
  const tools = toolchain();
  await installTemporal(tools);
  await installFlink(tools);
  await installSqlInspector(tools);
  await installKubernetes(tools);
  await installKubernetesNode(tools);
  await installS3Gateway(tools);
  await installHelm(tools);
  await installPauseImage(tools);
  // After Flink: the image carries the FLINK_HOME installed above.
  await installFlinkImage(tools);
  installChromium();
}

main().catch((error: unknown) => {
  // A missing tool or a failed step is a message for a person, not a stack trace.
  const message = error instanceof Error && (error.name === 'MissingPrerequisite' || error.name === 'InstallStepFailed')
    ? error.message
    : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`[install] failed: ${message}\n`);
  process.exitCode = 1;
});
