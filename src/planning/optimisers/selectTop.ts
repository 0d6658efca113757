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
