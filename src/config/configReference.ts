import { z } from 'zod';
import { configSchema } from './schema.js';

interface JsonSchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

function typeText(node: JsonSchemaNode): string {
  if (node.enum !== undefined) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.type === 'array')
    return `list of ${node.items !== undefined ? typeText(node.items) : 'values'}`;
  if (node.type === 'integer') return 'integer';
  return node.type ?? 'value';
}

function boundsText(node: JsonSchemaNode): string {
  const parts: string[] = [];
  if (node.minimum !== undefined) parts.push(`>= ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined) parts.push(`<= ${node.maximum}`);
  if (node.exclusiveMaximum !== undefined) parts.push(`< ${node.exclusiveMaximum}`);
  if (node.minItems !== undefined)
    parts.push(`at least ${node.minItems} item${node.minItems === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function rows(node: JsonSchemaNode, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child.type === 'object' && child.properties !== undefined) {
      rows(child, path, out);
      continue;
    }
    const required = node.required?.includes(key) === true && child.default === undefined;
    const def = required
      ? '**required**'
      : child.default === undefined
        ? '(see description)'
        : `\`${JSON.stringify(child.default)}\``;
    const desc = (child.description ?? '').replace(/\|/g, '\\|');
    out.push(`| \`${path}\` | ${typeText(child)} | ${def} | ${boundsText(child)} | ${desc} |`);
  }
}

/**
 * docs/config.md, generated from the zod schema so the reference cannot drift from the code
 * (`npm run docs:config` rewrites it; a test fails when it is stale).
 */
export function configReferenceMarkdown(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchemaNode;
  const out: string[] = [
    '# Configuration reference',
    '',
    'strider reads one YAML file (`--config FILE`, default `config/planar_runner.yaml`), applies',
    '`--set path=value` overrides in order (values are read as YAML: numbers, booleans, `[a, b]` lists),',
    'and validates the result against a strict schema: an unknown key, a wrong type or an out-of-range',
    'value stops strider with an error naming the file, the key path, its line and what was expected.',
    'Relative `robot.model` paths are resolved from the config file (from the working directory when',
    'given with `--set`). Robot dimensions (joints, actuators, limits) are read from the model file,',
    'never from YAML.',
    '',
    'This page is generated from src/config/schema.ts by `npm run docs:config`.',
    '',
    '| key | type | default | bounds | description |',
    '|---|---|---|---|---|',
  ];
  rows(schema, '', out);
  return `${out.join('\n')}\n`;
}
