import { Command, Option } from 'commander';
import { ArtifactStorageUnsupported, putArtifact } from '../artifacts';
import { defaultDevDir, readDevStack } from '../dev/stack-file';
import { jarFile, storageRoot, tenant } from './options';
import type { Run } from './pipeline-commands';
import { UsageError } from './output';

/** The dev stack's local runtime keeps its storage beside its clusters; anything else says where with --storage. */
function defaultStorageRoot(): string | undefined {
  const stack = readDevStack(defaultDevDir());
  return stack?.runtime === 'local' ? `file://${stack.runtimeStateDir}/storage` : undefined;
}

export function artifactCommand(run: Run): Command {
  const artifact = new Command('artifact').description('jars in a tenant\'s artifact area, where jar connections name them by digest');
  artifact.command('put')
    .description('put a jar into the tenant\'s artifact area and print its digest (sha256:<hex>)')
    .requiredOption('--tenant <tenant>', 'the tenant (a DNS-1123 label)', tenant)
    .addOption(new Option('--storage <uri>', 'the worker\'s storage root (default: the dev stack\'s)').env('FLEET_STORAGE_URI').argParser(storageRoot))
    .argument('<jar>', 'the jar file', jarFile)
    .addHelpText('after', '\nExample:\n  flink-fleet artifact put --tenant acme connector.jar\n  flink-fleet pipeline start --tenant acme --name wc --jar sha256:<the digest> --class org.example.Job')
    .action((jar: string, flags: { tenant: string; storage?: string }) => run(async (context) => {
      const root = flags.storage ?? defaultStorageRoot();
      if (root === undefined) throw new UsageError('give --storage <uri> (or FLEET_STORAGE_URI): no local dev stack is running to put the jar into');
      try {
        const put = await putArtifact(root, flags.tenant, jar);
        context.out.result(put, () => put.digest);
      } catch (error) {
        if (error instanceof ArtifactStorageUnsupported) throw new UsageError(error.message);
        throw error;
      }
  }));
  return artifact;
}
