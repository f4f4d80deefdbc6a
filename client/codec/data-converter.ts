import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import type { CodecKeyRing } from './keys';

/** For `bundleWorkflowCode`: a bundle made without it would leave workflow failures' messages in plain text. */
export const FAILURE_CONVERTER_PATH = require.resolve('../../workflows/failure-converter');

/** The one data converter of the worker, FleetClient and the CLI: every payload and failure encrypted. */
export function fleetDataConverter(keys: CodecKeyRing): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
