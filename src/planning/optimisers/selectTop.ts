/**
 * Indices of the `count` largest values of values[0..n), best first, written to out[0..count).
 * Insertion into a sorted prefix: O(n * count) worst case, no allocation and no comparator
 * closure; elites are a small fraction of the population, so this beats a full sort. Ties keep
 * the lower index first.
 */
export function selectTop(values: Float64Array, n: number, count: number, out: Int32Array): void {
  let filled = 0;
  for (let k = 0; k < n; k++) {
    const v = values[k]!;
    let j: number;
    if (filled < count) {
      j = filled;
      filled++;
    } else if (v > values[out[count - 1]!]!) {
      j = count - 1;
    } else {
      continue;
    }
    while (j > 0 && values[out[j - 1]!]! < v) {
      out[j] = out[j - 1]!;
      j--;
    }
    out[j] = k;
  }
}

/**
 * The CEM update (Botev et al. 2013; PETS): the mean and standard deviation of the `m` elites
 * `idx` of `population` (K x H x A, row-major, HA = H * A values a sequence) per action value,
 * smoothed into `mean` and `std` (H x A) with weight `alpha` on the old values, `std` floored at
 * `minStd` (per action dimension, length A). In place; allocation-free.
 */
export function refitToElites(
  population: Float32Array,
  idx: Int32Array,
  m: number,
  alpha: number,
  mean: Float32Array,
  std: Float32Array,
  minStd: Float32Array,
): void {
  const HA = mean.length;
  const A = minStd.length;
  for (let i = 0; i < HA; i++) {
    let sum = 0;
    for (let e = 0; e < m; e++) sum += population[idx[e]! * HA + i]!;
    const mu = sum / m;
    let sq = 0;
    for (let e = 0; e < m; e++) {
      const d = population[idx[e]! * HA + i]! - mu;
      sq += d * d;
    }
    const sd = Math.sqrt(sq / m);
    mean[i] = alpha * mean[i]! + (1 - alpha) * mu;
    const s = alpha * std[i]! + (1 - alpha) * sd;
    const floor = minStd[i % A]!;
    std[i] = s > floor ? s : floor;
  }
}
