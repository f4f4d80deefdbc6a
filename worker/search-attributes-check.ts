import type { Connection } from '@temporalio/client';
import { FLEET_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export class MissingSearchAttributes extends Error {
  override readonly name = 'MissingSearchAttributes';
}

/**
 * Workflows upsert these attributes; on a namespace without them every upsert fails the workflow
 * task over and over. Checking at start turns that into one clear error with the fix.
 */
export async function checkSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = FLEET_SEARCH_ATTRIBUTES.filter((key) => !(key.name in customAttributes));
  if (missing.length === 0) return;
  const commands = missing.map((key) => `temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type Keyword`);
  throw new MissingSearchAttributes(
    `namespace ${namespace} lacks the search attributes ${missing.map((k) => k.name).join(', ')}; register them with:\n  ${commands.join('\n  ')}`,
  );
}
