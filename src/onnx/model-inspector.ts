import fs from 'node:fs';
import ort from 'onnxruntime-node';
import type { OnnxModelInfo } from './model-signature.js';
import { InvalidOnnxModel } from './onnx.errors.js';
import { readFileStart, readOnnxModelFile } from './onnx-file-reader.js';
import { OnnxReadError, type OnnxProtoModel } from './onnx-model-reader.js';
import { signatureOf } from './session-signature.js';

/**
 * What an uploaded model is, proven by loading it in onnxruntime: its
 * signature (inputs and outputs as onnxruntime sees them, cross-checked
 * with the graph's declarations), metadata_props, producer, IR version and
 * opsets. Anything Modelgate could not serve is refused with
 * InvalidOnnxModel naming the problem.
 *
 * The description is streamed from the file (never read whole); onnxruntime
 * then loads the file itself, as it must to prove the model runs. Uploads
 * call this in the upload analysis process, not on the serving event loop.
 * The file is the upload's private scratch copy, so both reads see the same bytes.
 */
export async function inspectOnnxModel(filePath: string): Promise<OnnxModelInfo> {
  const proto = readProto(filePath);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(filePath, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
  } catch (err) {
    throw new InvalidOnnxModel(`the model does not load in onnxruntime: ${firstLine(err)}`, 'load_failed');
  }
  try {
    return {
      signature: signatureOf(session, proto),
      metadata: proto.metadata,
      producer: { name: proto.producerName, version: proto.producerVersion },
      irVersion: proto.irVersion,
      // The default domain "" is ai.onnx; a named key reads better in JSON.
      opsets: Object.fromEntries(proto.opsets.map((o) => [o.domain === '' ? 'ai.onnx' : o.domain, o.version])),
    };
  } finally {
    await session.release();
  }
}

function readProto(filePath: string): OnnxProtoModel {
  if (fs.statSync(filePath).size === 0) throw new InvalidOnnxModel('the file is empty, not an ONNX model', 'empty_file');
  let proto: OnnxProtoModel;
  try {
    proto = readOnnxModelFile(filePath);
  } catch (err) {
    if (!(err instanceof OnnxReadError)) throw err;
    if (err.kind === 'truncated' && looksLikeOnnxStart(readFileStart(filePath, 2))) {
      throw new InvalidOnnxModel(`the ONNX file is truncated (${err.message}); upload the complete file`, 'truncated');
    }
    throw new InvalidOnnxModel(`the file is not an ONNX model: ${err.message}`, 'not_onnx');
  }
  if (proto.irVersion <= 0) {
    throw new InvalidOnnxModel('the file is not an ONNX model: it has no ir_version', 'not_onnx');
  }
  if (!proto.hasGraph) {
    throw new InvalidOnnxModel('the ONNX file has no graph: it is truncated or not a model', 'no_graph');
  }
  return proto;
}

/** Writers put ir_version (field 1, a small varint) first. */
function looksLikeOnnxStart(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x08 && bytes[1] >= 1 && bytes[1] <= 30;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 500);
}
