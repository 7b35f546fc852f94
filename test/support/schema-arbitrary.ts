// fast-check arbitraries from the JSON Schemas of an OpenAPI document: values that fit the schema
// (as far as JSON Schema can say; zod refinements such as git's branch rules are not in it), and
// values that break it in the ways clients break things (missing or extra fields, wrong types,
// hostile strings, the edges of every bound).
import fc from 'fast-check';

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  examples?: unknown[];
};

/** Strings that have broken parsers, paths, shells, YAML and databases somewhere. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '..%2F..%2Fetc',
  '%2e%2e%2f',
  '/absolute/path',
  'C:\\windows',
  'a/../../b',
  '\u2215etc\u2215passwd', // division slash
  '\uFF0E\uFF0E', // fullwidth dots
  'ｓｈｏｐ',
  'shop\u200b',
  'ß',
  '\u0000',
  'line\nbreak',
  'tab\there',
  '$(id)',
  '`id`',
  '; rm -rf /',
  '\'; DROP TABLE "Project"; --',
  '{{ .Values.secret }}',
  '${HOME}',
  'key: value\nother: [',
  '- item',
  '&anchor *alias',
  '!!python/object:os.system',
  '<script>alert(1)</script>',
  'null',
  'true',
  '-1',
  '1e309',
  'NaN',
  'A'.repeat(70),
  'a'.repeat(300),
  '-leading-dash',
  'trailing-dash-',
  'UPPER',
  '*.wildcard.example.com',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data',
  'https://user:pass@example.com/x.git',
  'git@host:../../x',
  'refs/heads/../x',
  'branch.lock',
  '@{u}',
  '😀',
] as const;

export const hostileString = fc.constantFrom(...HOSTILE_STRINGS);

/** Any JSON value, small. */
const anyJson = fc.jsonValue({ maxDepth: 3 });

export class SchemaArbitraries {
  constructor(private readonly components: Record<string, JsonSchema>) {}

  private resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    for (let i = 0; current.$ref && i < 10; i += 1) {
      const name = current.$ref.replace('#/components/schemas/', '');
      current = this.components[name] ?? {};
    }
    return current;
  }

  /** Values the schema allows. `known` may supply values for formats (uuids of real resources). */
  valid(input: JsonSchema, known: { uuid?: fc.Arbitrary<string> } = {}): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    if (schema.examples?.length) {
      // The document's examples are the values real clients send: try them often.
      const { examples, ...rest } = schema;
      return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...examples) }, { weight: 1, arbitrary: this.valid(rest, known) });
    }
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives) return fc.oneof(...alternatives.map((s) => this.valid(s, known)));
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
      case 'array':
        return fc.array(this.valid(schema.items ?? {}, known), { maxLength: 4 });
      case 'object': {
        const props = schema.properties ?? {};
        const required = new Set(schema.required ?? []);
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, value] of Object.entries(props)) record[key] = this.valid(value, known);
        return fc.record(record, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
      }
      case 'string':
        return this.validString(schema, known);
      default:
        return anyJson;
    }
  }

  private validString(schema: JsonSchema, known: { uuid?: fc.Arbitrary<string> }): fc.Arbitrary<string> {
    const min = schema.minLength ?? 0;
    const max = Math.min(schema.maxLength ?? 40, 80);
    if (schema.format === 'uuid') return known.uuid ? fc.oneof({ weight: 3, arbitrary: known.uuid }, { weight: 1, arbitrary: fc.uuid() }) : fc.uuid();
    if (schema.format === 'date-time')
      return fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString());
    if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity));
    return fc.string({ minLength: min, maxLength: Math.max(min, max) });
  }

  /** Values the schema does not allow, or that sit on the edge of what it allows. */
  invalid(input: JsonSchema): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    const wrongType = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.string({ maxLength: 10 }),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
    );
    const edges: fc.Arbitrary<unknown>[] = [wrongType, hostileString];
    if (type === 'integer' || type === 'number') {
      const lo = schema.minimum ?? 0;
      const hi = schema.maximum ?? 65535;
      edges.push(
        fc.constantFrom(lo - 1, hi + 1, lo + 0.5, -0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308),
        fc.constantFrom(String(lo), `${hi}`, '0x10', ' 1'),
      );
    }
    if (type === 'string') {
      const max = schema.maxLength ?? 255;
      edges.push(fc.constantFrom('x'.repeat(max + 1), 'a'.repeat(Math.max(0, (schema.minLength ?? 1) - 1))));
    }
    if (type === 'object') {
      const props = Object.keys(schema.properties ?? {});
      const validObject = this.valid(schema) as fc.Arbitrary<Record<string, unknown>>;
      edges.push(
        // One field replaced by something wrong.
        props.length
          ? fc.tuple(validObject, fc.constantFrom(...props), fc.oneof(wrongType, hostileString)).map(([obj, key, bad]) => ({ ...obj, [key]: bad }))
          : wrongType,
        // A required field missing.
        schema.required?.length
          ? fc.tuple(validObject, fc.constantFrom(...schema.required)).map(([obj, key]) => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key)))
          : wrongType,
        // A field nobody asked for (objects are strict), and prototype tricks.
        fc.tuple(validObject, fc.constantFrom('extra', '__proto__', 'constructor', 'workspaceId', 'webhookSecret', 'id')).map(
          ([obj, key]) =>
            JSON.parse(
              JSON.stringify({ ...obj })
                .replace(/^\{/, `{"${key}":{"polluted":true},`)
                .replace(/,\}$/, '}'),
            ) as unknown,
        ),
        // Not an object at all.
        fc.oneof(fc.array(anyJson, { maxLength: 3 }), fc.string(), fc.integer(), fc.constant(null)),
      );
    }
    return fc.oneof(...edges);
  }
}
