import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { StriderError } from '../util/StriderError.js';
import { configSchema, type StriderConfig } from './schema.js';

/** One `--set path=value` override, parsed. */
export interface ConfigOverride {
  readonly path: readonly string[];
  readonly value: unknown;
  /** The override as the user typed it, for error messages. */
  readonly text: string;
}

export interface LoadConfigOptions {
  /** Repeatable `--set path=value` strings, applied in order after the file is read. */
  readonly overrides?: readonly string[];
  /** Directory that relative paths given in overrides are resolved from (default: cwd). */
  readonly cwd?: string;
}

/** A validated, frozen config and where it came from. */
export interface LoadedConfig {
  readonly config: Readonly<StriderConfig>;
  /** Absolute path of the config file. */
  readonly path: string;
}

/**
 * Parse `path=value`. The value is read as a YAML scalar or flow collection, so `--set
 * run.episodes=3` gives a number, `--set state.base=[pos_z,quat]` a list, and a path stays a string.
 */
export function parseOverride(text: string): ConfigOverride {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq).trim() : '';
  if (key === '' || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(key)) {
    throw new StriderError(
      'CONFIG_OVERRIDE',
      `--set "${text}": expected path=value with a dotted key path, e.g. --set control.rate_hz=50`,
    );
  }
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = raw.trim() === '' ? '' : parseYaml(raw);
  } catch (cause) {
    throw new StriderError('CONFIG_OVERRIDE', `--set "${text}": the value is not valid YAML`, {
      cause,
    });
  }
  return { path: key.split('.'), value, text };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function applyOverride(root: Record<string, unknown>, o: ConfigOverride): void {
  let node: Record<string, unknown> = root;
  for (let i = 0; i < o.path.length - 1; i++) {
    const key = o.path[i] as string;
    const next = node[key];
    if (next === undefined) {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    } else if (isRecord(next)) {
      node = next;
    } else {
      throw new StriderError(
        'CONFIG_OVERRIDE',
        `--set "${o.text}": ${o.path.slice(0, i + 1).join('.')} is a value, not a section`,
      );
    }
  }
  node[o.path[o.path.length - 1] as string] = o.value;
}

/** The keys a strict object schema accepts at `path`, for "valid keys are ..." messages. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  const unwrap = (s: unknown): unknown => {
    let cur = s as { _zod?: { def?: { innerType?: unknown; type?: string } } };
    for (let guard = 0; guard < 8; guard++) {
      const inner = cur._zod?.def?.innerType;
      if (inner === undefined) break;
      cur = inner as typeof cur;
    }
    return cur;
  };
  node = unwrap(node);
  for (const key of path) {
    const shape = (node as { shape?: Record<string, unknown> }).shape;
    if (shape === undefined || typeof key !== 'string' || !(key in shape)) return [];
    node = unwrap(shape[key]);
  }
  const shape = (node as { shape?: Record<string, unknown> }).shape;
  return shape === undefined ? [] : Object.keys(shape);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Read, override, validate and freeze a config file. Every failure is a StriderError whose message
 * names the file, the key path (with its line where the file has it) and what was expected.
 * `robot.model` is resolved relative to the config file (or to cwd when set by --set).
 */
export function loadConfig(file: string, options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new StriderError('CONFIG_NOT_FOUND', `config file ${path} cannot be read`, {
      cause,
      context: { path },
    });
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new StriderError(
      'CONFIG_YAML',
      `${path}: invalid YAML: ${first?.message ?? 'parse error'}`,
      {
        cause: first,
        context: { path },
      },
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (!isRecord(raw)) {
    throw new StriderError(
      'CONFIG_INVALID',
      `${path}: expected a mapping of sections at the top level`,
      {
        context: { path },
      },
    );
  }

  const overrides = (options.overrides ?? []).map(parseOverride);
  for (const o of overrides) applyOverride(raw, o);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const keyPath = issue.path.map(String).join('.');
      const override = overrides.find((o) => o.path.join('.') === keyPath);
      const node = doc.getIn(issue.path, true) as { range?: [number, number, number] } | undefined;
      const where =
        override !== undefined
          ? ` (from --set ${override.text})`
          : node?.range !== undefined
            ? ` (line ${lineCounter.linePos(node.range[0]).line})`
            : '';
      const label = keyPath === '' ? '(top level)' : keyPath;
      if (issue.code === 'unrecognized_keys') {
        const valid = keysAt(configSchema, issue.path);
        return `${label}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}; valid keys: ${valid.join(', ')}`;
      }
      const got =
        issue.code === 'invalid_type' ? '' : ` (got ${describeValue(valueAt(raw, issue.path))})`;
      return `${label}: ${issue.message}${got}${where}`;
    });
    throw new StriderError(
      'CONFIG_INVALID',
      `invalid config ${path}:\n  - ${lines.join('\n  - ')}`,
      {
        context: { path, issues: result.error.issues },
      },
    );
  }

  const config = result.data;
  const modelFromOverride = overrides.some((o) => o.path.join('.') === 'robot.model');
  const modelBase = modelFromOverride ? cwd : dirname(path);
  if (!isAbsolute(config.robot.model)) config.robot.model = resolve(modelBase, config.robot.model);
  const tls = config.transport.tls;
  if (tls !== undefined) {
    // like robot.model: relative to the config file, or to cwd when set by --set
    for (const key of ['ca', 'cert', 'key'] as const) {
      const file = tls[key];
      if (file === undefined || isAbsolute(file)) continue;
      const fromOverride = overrides.some((o) => o.path.join('.') === `transport.tls.${key}`);
      tls[key] = resolve(fromOverride ? cwd : dirname(path), file);
    }
  }

  const periodMs = 1000 / config.control.rate_hz;
  if (config.control.budget_ms !== undefined && config.control.budget_ms > periodMs) {
    throw new StriderError(
      'CONFIG_INVALID',
      `invalid config ${path}:\n  - control.budget_ms: ${config.control.budget_ms} ms exceeds the control period ` +
        `${periodMs.toFixed(3)} ms at control.rate_hz ${config.control.rate_hz}`,
      { context: { path } },
    );
  }
  return { config: deepFreeze(config), path };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The per-tick budget in ms: control.budget_ms, or 80% of the control period. */
export function budgetMs(control: StriderConfig['control']): number {
  return control.budget_ms ?? (0.8 * 1000) / control.rate_hz;
}
