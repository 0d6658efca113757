import type { OnnxGraphBuilder } from './OnnxGraphBuilder.js';

/** Adam's constants (Kingma & Ba 2015). */
export interface AdamConstants {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/**
 * Appends one Adam step to a training graph, as tfjs computes it: for every parameter
 * m' = b1 m + (1 - b1) g; v' = b2 v + (1 - b2) g^2; p' = p - stepSize * m' / (sqrt(v' * vCorr) +
 * eps), where the inputs `stepSize` = lr / (1 - b1^t) and `vCorr` = 1 / (1 - b2^t) carry the bias
 * corrections of step t. Per parameter `spec.name` it adds the inputs m_<name> and v_<name> and the
 * outputs p_<name>_out, m_<name>_out and v_<name>_out.
 *
 * @param params The parameters' value names in the graph, in `specs` order.
 * @param grads Their gradients' value names, in the same order.
 * @param inputs The graph input names of the step size and the second-moment correction.
 */
export function appendAdamStep(
  g: OnnxGraphBuilder,
  specs: readonly { readonly name: string; readonly shape: readonly number[] }[],
  params: readonly string[],
  grads: readonly string[],
  adam: AdamConstants,
  inputs: { readonly stepSize: string; readonly secondMomentCorrection: string },
): void {
  const stepSize = g.input(inputs.stepSize, [1]);
  const vCorr = g.input(inputs.secondMomentCorrection, [1]);
  const b1 = g.scalar(adam.beta1);
  const b1c = g.scalar(1 - adam.beta1);
  const b2 = g.scalar(adam.beta2);
  const b2c = g.scalar(1 - adam.beta2);
  const eps = g.scalar(adam.epsilon);
  specs.forEach((spec, i) => {
    const m = g.input(`m_${spec.name}`, spec.shape);
    const v = g.input(`v_${spec.name}`, spec.shape);
    const gr = grads[i]!;
    const m2 = g.op(
      'Add',
      [g.op('Mul', [m, b1]), g.op('Mul', [gr, b1c])],
      {},
      `m_${spec.name}_out`,
    );
    const v2 = g.op(
      'Add',
      [g.op('Mul', [v, b2]), g.op('Mul', [g.op('Mul', [gr, gr]), b2c])],
      {},
      `v_${spec.name}_out`,
    );
    const denom = g.op('Add', [g.op('Sqrt', [g.op('Mul', [v2, vCorr])]), eps]);
    const update = g.op('Mul', [g.op('Div', [m2, denom]), stepSize]);
    g.op('Sub', [params[i]!, update], {}, `p_${spec.name}_out`);
    g.output(`p_${spec.name}_out`, spec.shape);
    g.output(`m_${spec.name}_out`, spec.shape);
    g.output(`v_${spec.name}_out`, spec.shape);
  });
}
