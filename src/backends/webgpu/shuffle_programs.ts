/**
 * A MixedOp's partial-channel output on the webgpu backend:
 * `channelShuffle(concat([processed, bypassed]), k)` as one dispatch, reading
 * the bypassed channels in place from `source` (the MixedOp's input on a
 * normal edge, their pooled copy on a reduction edge), and both inputs'
 * gradients from one dispatch. tfjs' path slices the bypassed channels,
 * concatenates and transposes, and differentiates each of those: about 4
 * dispatches forward and 5 backward, against 1 and 1.
 *
 * Output channel `j·k + g` is `processed[j]` for `g = 0`, else
 * `source[offset + (g − 1)·part + j]` (`part` = processed channels).
 */
import type * as tf from "../../tf.ts";
import { customOp } from "../../ops/custom_gradient.ts";
import { runMultiOutputProgram } from "./multi_output_program.ts";
import {
  elementDispatch,
  nhwcElementProgram,
  type ProgramUniform,
  runProgram,
} from "./webgpu_programs.ts";

const UNIFORMS = "groups : i32, offset : i32,";

/** Forward: inputs `processed`, `source`; output `[n, h, w, part·k]`. */
function shuffleProgram(outputShape: number[]) {
  return nhwcElementProgram({
    shaderKey: "pcdarts_shuffle_bypass",
    outputShape,
    variableNames: ["processed", "source"],
    uniforms: UNIFORMS,
    body: `
          let part = uniforms.processedShape.w;
          let sourceChannels = uniforms.sourceShape.w;
          let pixel = index / channels;
          let g = c % uniforms.groups;
          let k = c / uniforms.groups;
          if (g == 0) {
            result[index] = processed[pixel * part + k];
          } else {
            result[index] = source[pixel * sourceChannels + uniforms.offset + (g - 1) * part + k];
          }`,
  });
}

const WORKGROUP = 64;

/** Gradient for `processed`: `dy` channel `j·k` for channel `j`. */
function processedGradientProgram(shape: number[]) {
  return nhwcElementProgram({
    shaderKey: "pcdarts_shuffle_bypass_processed_gradient",
    outputShape: shape,
    variableNames: ["dy"],
    uniforms: UNIFORMS,
    body: `
          let pixel = index / channels;
          result[index] = dy[pixel * uniforms.dyShape.w + c * uniforms.groups];`,
  });
}

/** Gradient for `source`: its bypassed channels from `dy`, zero elsewhere. */
function sourceGradientProgram(shape: number[]) {
  return nhwcElementProgram({
    shaderKey: "pcdarts_shuffle_bypass_source_gradient",
    outputShape: shape,
    variableNames: ["dy"],
    uniforms: `${UNIFORMS} part : i32,`,
    body: `
          let pixel = index / channels;
          let q = c - uniforms.offset;
          if (q < 0 || q >= (uniforms.groups - 1) * uniforms.part) {
            result[index] = 0.0;
          } else {
            let g = q / uniforms.part + 1;
            let k = q - (g - 1) * uniforms.part;
            result[index] = dy[pixel * uniforms.dyShape.w + k * uniforms.groups + g];
          }`,
  });
}

/**
 * `channelShuffle(concat([processed, source[…, offset : offset + (k−1)·part]]), k)`
 * and its gradients as webgpu programs (see the module header).
 */
export function shuffleWithBypassWebGpu(
  processed: tf.Tensor4D,
  source: tf.Tensor4D,
  offset: number,
  k: number,
): tf.Tensor4D {
  const [n, h, w, part] = processed.shape;
  const uniforms: ProgramUniform[] = [
    { type: "int32", data: [k] },
    { type: "int32", data: [offset] },
  ];
  const op = customOp(([processedInput, sourceInput]) => ({
    value: runProgram(
      shuffleProgram([n, h, w, part * k]),
      [processedInput, sourceInput],
      uniforms,
    ),
    gradFunc: (dy) => {
      const sourceChannels = source.shape[3];
      if (sourceChannels < part) {
        return [
          runProgram(
            processedGradientProgram(processedInput.shape),
            [dy],
            uniforms,
          ),
          runProgram(sourceGradientProgram(sourceInput.shape), [dy], [
            ...uniforms,
            { type: "int32", data: [part] },
          ]),
        ];
      }
      // Both gradients from one dispatch over the source's elements (the
      // processed channels are the source's first `part` in count).
      const [processedGradient, sourceGradient] = runMultiOutputProgram({
        key: "pcdarts_shuffle_bypass_gradients",
        writes: [
          { name: "processedGradient", shape: processedInput.shape },
          { name: "sourceGradient", shape: sourceInput.shape },
        ],
        reads: [{ name: "dy", tensor: dy }],
        uniforms: [
          { name: "size", type: "i32", value: sourceInput.size },
          { name: "channels", type: "i32", value: sourceChannels },
          { name: "groups", type: "i32", value: k },
          { name: "offset", type: "i32", value: offset },
          { name: "part", type: "i32", value: part },
        ],
        workgroupSize: WORKGROUP,
        workgroups: elementDispatch(sourceInput.size, WORKGROUP),
        body: `if (index >= uniforms.size) { return; }
  let c = index % uniforms.channels;
  let pixel = index / uniforms.channels;
  let dyChannels = uniforms.part * uniforms.groups;
  if (c < uniforms.part) {
    processedGradient[pixel * uniforms.part + c] = dy[pixel * dyChannels + c * uniforms.groups];
  }
  let q = c - uniforms.offset;
  if (q < 0 || q >= (uniforms.groups - 1) * uniforms.part) {
    sourceGradient[index] = 0.0;
  } else {
    let g = q / uniforms.part + 1;
    let j = q - (g - 1) * uniforms.part;
    sourceGradient[index] = dy[pixel * dyChannels + j * uniforms.groups + g];
  }`,
      });
      return [processedGradient, sourceGradient];
    },
  }));
  return op(processed, source) as tf.Tensor4D;
}
