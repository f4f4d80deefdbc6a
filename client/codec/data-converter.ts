import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import type { CodecKeyRing } from './keys';

/** For `bundleWorkflowCode`: a bundle made without it would leave workflow failures' messages in plain text. */
export const FAILURE_CONVERTER_PATH = require.resolve('../../workflows/failure-converter');

/**
 * The converters the workflow sandbox loads by path (the payload converter is the SDK's default): a
 * worker bundling at start takes them from its data converter, a bundle made ahead must name them.
 */
export const FLEET_CONVERTER_PATHS: Pick<DataConverter, 'payloadConverterPath' | 'failureConverterPath'> = { failureConverterPath: FAILURE_CONVERTER_PATH };

/** The one data converter of the worker, FleetClient and the CLI: every payload and failure encrypted. */
export function fleetDataConverter(keys: CodecKeyRing): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)], ...FLEET_CONVERTER_PATHS };
}
