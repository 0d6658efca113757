/**
 * The few helpers that read fast-xml-parser's plain-object form (attributes prefixed `@_`), shared
 * by the URDF parser and the MJCF/URDF tell-apart. Tolerant: a missing node reads as empty.
 */
import { XMLParser } from 'fast-xml-parser';

/** A parsed element: child elements by tag, attributes as `@_name`, text as `#text`. */
export type XmlObject = Record<string, unknown>;

/** A child that may be absent, single or repeated, as a list. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as unknown[]) : [value];
}

/** A node as an object; anything else (absent, text) as an empty one. */
export function asObject(value: unknown): XmlObject {
  return typeof value === 'object' && value !== null ? (value as XmlObject) : {};
}

/** Attribute `name` of `node`, or undefined. */
export function attr(node: XmlObject, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}

/** The number an attribute holds, or null when absent or not finite. */
export function finiteOrNull(text: string | undefined): number | null {
  if (text === undefined) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/** The root element's name and its attributes, for telling MJCF from URDF. */
export function xmlRootElement(text: string): {
  name: string;
  attrs: Readonly<Record<string, string>>;
} {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  const doc = asObject(parser.parse(text));
  for (const [key, value] of Object.entries(doc)) {
    if (key.startsWith('?') || key.startsWith('#')) continue;
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(asObject(value))) {
      if (k.startsWith('@_') && typeof v === 'string') attrs[k.slice(2)] = v;
    }
    return { name: key, attrs };
  }
  return { name: '', attrs: {} };
}
