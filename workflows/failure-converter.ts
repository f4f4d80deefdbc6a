import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go through the payload codec too, not beside it: Flink's
 * refusals quote the statement they refused. Loaded by path (`failureConverterPath`), because the
 * workflow sandbox converts its own failures and needs this module bundled in.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
