import assert from 'node:assert/strict';

/*
 * A strict reader of the Prometheus text format (0.0.4) for the metrics tests: every line must be
 * a HELP, a TYPE or a sample of a series typed before it.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?)|NaN|\+Inf|-Inf)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A strict reader of the Prometheus text format (0.0.4): throws on any line it does not know. */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      if (meta[1] === 'TYPE') {
        assert.ok(TYPES.has(meta[3]!), `unknown type in: ${line}`);
        assert.ok(!types.has(meta[2]!), `second TYPE for ${meta[2]}`);
        types.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m !== null, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    const name = m[1]!;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(
      types.has(name) || types.get(base) === 'histogram',
      `sample before its TYPE: ${name}`,
    );
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    samples.push({ name, labels, value: Number(m[3]!.replace('+Inf', 'Infinity')) });
  }
  return { types, samples };
}

export function value(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const s = samples.find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  assert.ok(s !== undefined, `no sample ${name} ${JSON.stringify(labels)}`);
  return s.value;
}
