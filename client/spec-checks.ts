import { InvalidSpecError, parsePipelineSpec, type PipelineSpec, type PipelineSpecInput } from '../workflows/pipeline/spec';
import { InvalidPreviewError } from '../workflows/preview/policy';
import { parsePreviewRequest, type PreviewRequestInput } from '../workflows/preview/request';
import { FleetError } from './errors';

/**
 * What a client checks before it starts anything, as an InvalidSpec FleetError naming each field.
 * Apart from the Temporal client, so the CLI checks its input without loading (or dialling) Temporal.
 */
export function checkPipelineSpec(input: PipelineSpecInput): PipelineSpec {
  try {
    return parsePipelineSpec(input);
  } catch (error) {
    if (error instanceof InvalidSpecError) throw new FleetError('InvalidSpec', error.message);
    throw error;
  }
}

/** A request the preview workflow would refuse at its start; its SQL is judged later, by the workflow, on Flink's reading. */
export function checkPreviewRequest(input: PreviewRequestInput): void {
  try {
    parsePreviewRequest(input);
  } catch (error) {
    if (error instanceof InvalidPreviewError) throw new FleetError('InvalidSpec', error.message);
    throw error;
  }
}
