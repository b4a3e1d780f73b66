import { Unprocessable } from '../common/errors.js';

/**
 * Why a model was refused, a stable word for clients and tests; the message
 * says it in full.
 */
export type InvalidModelReason =
  | 'empty_file'
  | 'not_onnx'
  | 'truncated'
  | 'no_graph'
  | 'load_failed'
  | 'non_tensor_value'
  | 'unsupported_datatype'
  | 'unknown_rank'
  | 'signature_mismatch'
  | 'outputs_unfit_for_task'
  | 'bad_score_output';

/** The uploaded file is not an ONNX model Modelgate can serve (422, `INVALID_MODEL`). */
export class InvalidOnnxModel extends Unprocessable {
  constructor(
    message: string,
    readonly reason: InvalidModelReason,
    details: Record<string, unknown> = {},
  ) {
    super('INVALID_MODEL', message, { reason, ...details });
  }
}
