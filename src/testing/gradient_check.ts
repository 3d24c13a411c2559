/**
 * Finite-difference gradient checks: for random directions v, the central
 * difference (L(x + εv) − L(x − εv)) / 2ε must match ⟨∇L, v⟩, with
 * L = sum(f(inputs) · r) for a fixed random r.
 */
import * as tf from "../tf.ts";
import { Random } from "../ops/random.ts";

/** Result of {@linkcode gradientCheck}: the worst relative mismatch per input. */
export interface GradientCheckResult {
  /** Largest |fd − analytic| / max(|fd|, |analytic|, 1e-3) over directions. */
  worst: number[];
}

function randomTensor(shape: number[], random: Random): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = random.normal();
  return tf.tensor(values, shape);
}

/** Random normal inputs of the given shapes (seeded). */
export function randomInputs(shapes: number[][], seed: number): tf.Tensor[] {
  const random = new Random(seed);
  return shapes.map((s) => randomTensor(s, random));
}

/**
 * Inputs whose values are a seeded permutation of evenly spaced numbers, so
 * that no two differ by less than `spacing`: finite differences through a max
 * then never cross a tie.
 */
export function distinctInputs(
  shape: number[],
  seed: number,
  spacing = 0.1,
): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from(
    { length: size },
    (_, i) => (i - size / 2) * spacing,
  );
  new Random(seed).shuffle(values);
  return tf.tensor(values, shape);
}

/**
 * Compares analytic gradients of `f` with central differences along
 * `directions` random directions per input. Disposes everything it makes.
 */
export async function gradientCheck(
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  { epsilon = 1e-2, directions = 3, seed = 7 } = {},
): Promise<GradientCheckResult> {
  const random = new Random(seed);
  const outShape = tf.tidy(() => f(...inputs).shape);
  const r = randomTensor(outShape, random);
  const loss = (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)) as tf.Scalar;
  const analytic = tf.grads(loss)(inputs);
  const worst: number[] = [];
  for (let i = 0; i < inputs.length; i++) {
    let worstHere = 0;
    for (let d = 0; d < directions; d++) {
      const v = randomTensor(inputs[i].shape, random);
      const [plus, minus, projected] = tf.tidy(() => {
        const shifted = (sign: number) =>
          loss(
            ...inputs.map((
              x,
              j,
            ) => (j === i ? tf.add(x, tf.mul(v, sign * epsilon)) : x)),
          );
        return [shifted(1), shifted(-1), tf.sum(tf.mul(analytic[i], v))];
      });
      const [p, m, a] = await Promise.all([
        plus.data(),
        minus.data(),
        projected.data(),
      ]);
      tf.dispose([plus, minus, projected, v]);
      const fd = (p[0] - m[0]) / (2 * epsilon);
      const mismatch = Math.abs(fd - a[0]) /
        Math.max(Math.abs(fd), Math.abs(a[0]), 1e-3);
      worstHere = Math.max(worstHere, mismatch);
    }
    worst.push(worstHere);
  }
  tf.dispose([r, ...analytic]);
  return { worst };
}
