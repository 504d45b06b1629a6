/**
 * A small interpreter for the subset of JSON Schema (2020-12) that pfnlab's
 * shipped schemas use, so that the schema file is the one source of truth for
 * what a scenario may contain. Errors name the JSON path and the problem.
 *
 * Supported: $ref to #/$defs, type, enum, const, pattern, minLength, minimum,
 * maximum, minItems, items, properties, required, additionalProperties:false,
 * anyOf, and oneOf with the (non-standard, ignored by other validators)
 * keyword `discriminator` naming the property that selects the branch.
 */

export interface Schema {
  readonly $ref?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly items?: Schema;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly discriminator?: string;
  readonly description?: string;
  readonly $defs?: Readonly<Record<string, Schema>>;
}

export interface SchemaIssue {
  readonly path: string;
  readonly problem: string;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export class SchemaValidator {
  constructor(private readonly root: Schema) {}

  /** The first problem found, or undefined when value conforms. */
  validate(value: unknown, path = '$'): SchemaIssue | undefined {
    return this.check(this.root, value, path);
  }

  private resolve(schema: Schema): Schema {
    if (!schema.$ref) return schema;
    const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = m ? this.root.$defs?.[m[1]] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return this.resolve(target);
  }

  private check(s: Schema, value: unknown, path: string): SchemaIssue | undefined {
    const schema = this.resolve(s);
    if (schema.anyOf) return this.checkAnyOf(schema, value, path);
    if (schema.oneOf) return this.checkOneOf(schema, value, path);
    if ('const' in schema && value !== schema.const) {
      return { path, problem: `must be ${JSON.stringify(schema.const)}, got ${describe(value)}` };
    }
    if (schema.enum && !schema.enum.includes(value)) {
      return {
        path,
        problem: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${describe(value)}`,
      };
    }
    if (schema.type) {
      const issue = this.checkType(schema, value, path);
      if (issue) return issue;
    }
    if (typeof value === 'string') return this.checkString(schema, value, path);
    if (typeof value === 'number') return this.checkNumber(schema, value, path);
    if (Array.isArray(value)) return this.checkArray(schema, value, path);
    if (value !== null && typeof value === 'object')
      return this.checkObject(schema, value as Record<string, unknown>, path);
    return undefined;
  }

  private checkType(schema: Schema, value: unknown, path: string): SchemaIssue | undefined {
    const t = schema.type;
    const ok =
      (t === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) ||
      (t === 'array' && Array.isArray(value)) ||
      (t === 'string' && typeof value === 'string') ||
      (t === 'boolean' && typeof value === 'boolean') ||
      (t === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
      (t === 'integer' && Number.isInteger(value));
    return ok
      ? undefined
      : {
          path,
          problem: `must be ${t === 'integer' || t === 'array' || t === 'object' ? 'an' : 'a'} ${t}, got ${describe(value)}`,
        };
  }

  private checkString(schema: Schema, value: string, path: string): SchemaIssue | undefined {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      return {
        path,
        problem: value.length === 0 ? 'must not be empty' : `must be at least ${schema.minLength} characters`,
      };
    }
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
      return { path, problem: `${describe(value)} is not in the expected form` };
    }
    return undefined;
  }

  private checkNumber(schema: Schema, value: number, path: string): SchemaIssue | undefined {
    if (schema.minimum !== undefined && value < schema.minimum)
      return { path, problem: `must be >= ${schema.minimum}, got ${value}` };
    if (schema.maximum !== undefined && value > schema.maximum)
      return { path, problem: `must be <= ${schema.maximum}, got ${value}` };
    return undefined;
  }

  private checkArray(schema: Schema, value: unknown[], path: string): SchemaIssue | undefined {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      return {
        path,
        problem: `must have at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`,
      };
    }
    if (!schema.items) return undefined;
    for (let i = 0; i < value.length; i++) {
      const issue = this.check(schema.items, value[i], childPath(path, i));
      if (issue) return issue;
    }
    return undefined;
  }

  private checkObject(schema: Schema, value: Record<string, unknown>, path: string): SchemaIssue | undefined {
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(value, key)) return { path, problem: `missing required field "${key}"` };
    }
    const props = schema.properties ?? {};
    for (const [key, v] of Object.entries(value)) {
      // Own properties only: "constructor" or "__proto__" would find Object.prototype's.
      const sub = Object.hasOwn(props, key) ? props[key] : undefined;
      if (!sub) {
        if (schema.additionalProperties === false) {
          const known = Object.keys(props).join(', ');
          return { path: childPath(path, key), problem: `unknown field (expected one of: ${known})` };
        }
        continue;
      }
      const issue = this.check(sub, v, childPath(path, key));
      if (issue) return issue;
    }
    return undefined;
  }

  private checkAnyOf(schema: Schema, value: unknown, path: string): SchemaIssue | undefined {
    let first: SchemaIssue | undefined;
    for (const branch of schema.anyOf ?? []) {
      const issue = this.check(branch, value, path);
      if (!issue) return undefined;
      first ??= issue;
    }
    if (!schema.description) return first;
    const [what, ...rest] = schema.description.replace(/\.$/, '').split(': ');
    const detail = rest.length ? ` (${rest.join(': ')})` : '';
    return { path, problem: `must be ${what.toLowerCase()}${detail}, got ${describe(value)}` };
  }

  private checkOneOf(schema: Schema, value: unknown, path: string): SchemaIssue | undefined {
    const branches = (schema.oneOf ?? []).map((b) => this.resolve(b));
    const key = schema.discriminator;
    if (key) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return { path, problem: `must be an object with "${key}", got ${describe(value)}` };
      }
      const tag = (value as Record<string, unknown>)[key];
      const names = branches.map((b) => b.properties?.[key]?.const);
      const index = names.indexOf(tag);
      if (index < 0) {
        return {
          path: tag === undefined ? path : childPath(path, key),
          problem:
            tag === undefined
              ? `missing "${key}"`
              : `unknown ${key} ${describe(tag)} (expected one of: ${names.join(', ')})`,
        };
      }
      return this.check(branches[index], value, path);
    }
    const passing = branches.filter((b) => !this.check(b, value, path));
    if (passing.length === 1) return undefined;
    return { path, problem: passing.length === 0 ? 'matches none of the allowed forms' : 'is ambiguous' };
  }
}
