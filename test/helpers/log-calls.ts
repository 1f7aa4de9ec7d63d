/**
 * What the program can log, read from its source with the TypeScript parser: every message of a pino
 * call (`log.info(fields, 'message')`, `log[level](...)`), every field name those calls and `child()`
 * bindings carry (object literals, spreads and variables of the same file resolved one level), and every
 * `component` name. For the README truth tests: what the README shows must be in here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export type LogVocabulary = Readonly<{ messages: ReadonlySet<string>; fields: ReadonlySet<string>; components: ReadonlySet<string> }>;

const levels = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

/** `log.info(...)`, `log[level](...)` (a computed level counts), or `log.child(...)`. */
function callKind(call: ts.CallExpression): 'log' | 'child' | undefined {
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee)) {
    if (levels.has(callee.name.text)) return 'log';
    if (callee.name.text === 'child') return 'child';
    return undefined;
  }
  return ts.isElementAccessExpression(callee) && !ts.isStringLiteral(callee.argumentExpression) ? 'log' : undefined;
}

function isText(node: ts.Node): node is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node);
}

class FileScan {
  readonly #variables = new Map<string, ts.Expression>();

  constructor(
    readonly source: ts.SourceFile,
    readonly out: { messages: Set<string>; fields: Set<string>; components: Set<string> },
  ) {
    const collect = (node: ts.Node): void => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined) this.#variables.set(node.name.text, node.initializer);
      ts.forEachChild(node, collect);
    };
    collect(source);
  }

  run(): void {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) this.#call(node);
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'component' && isText(node.initializer)) this.out.components.add(node.initializer.text);
      ts.forEachChild(node, visit);
    };
    visit(this.source);
  }

  #call(call: ts.CallExpression): void {
    const kind = callKind(call);
    if (kind === undefined) return;
    const [first, second] = call.arguments;
    if (first !== undefined) this.#fieldsOf(first, 2);
    if (kind !== 'log') return;
    const message = [first, second].find((a): a is ts.StringLiteral => a !== undefined && isText(a));
    if (message !== undefined) this.out.messages.add(message.text);
  }

  /** Field names of an object expression; identifiers and spreads are followed `depth` times. */
  #fieldsOf(node: ts.Expression, depth: number): void {
    if (ts.isIdentifier(node) && depth > 0) {
      const value = this.#variables.get(node.text);
      if (value !== undefined) this.#fieldsOf(value, depth - 1);
      return;
    }
    if (ts.isParenthesizedExpression(node)) return this.#fieldsOf(node.expression, depth);
    if (ts.isConditionalExpression(node)) {
      this.#fieldsOf(node.whenTrue, depth);
      this.#fieldsOf(node.whenFalse, depth);
      return;
    }
    if (!ts.isObjectLiteralExpression(node)) return;
    for (const property of node.properties) {
      if (ts.isSpreadAssignment(property)) this.#fieldsOf(property.expression, depth);
      else if (property.name !== undefined && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) this.out.fields.add(property.name.text);
    }
  }
}

/** Scans every `.ts` file under `srcDir`. */
export function logVocabulary(srcDir: string): LogVocabulary {
  const out = { messages: new Set<string>(), fields: new Set<string>(), components: new Set<string>() };
  for (const file of sourceFiles(srcDir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    new FileScan(source, out).run();
  }
  return out;
}
