// Keeps infra/jenkins/Jenkinsfile in step with the engine, without a Jenkins: the parameters it
// declares are exactly the ones activities/build.ts sends (read from the engine's source, not
// copied here), the simulator declares the same, the pipeline checks out COMMIT_SHA, writes and
// archives deploy-result.json with the keys the engine reads, never echoes a credential, keeps
// the REPO_TOKEN password parameter out of Groovy and out of URLs, and there is a Dockerfile
// template for every framework the engine detects.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../../activities/framework.js';
import { DEFAULT_PARAMETERS } from '../../simulators/jenkins/options.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

// ---------------------------------------------------------------------------------------------
// A small scanner for Groovy / TypeScript source: enough to find bracketed regions and split
// argument lists while skipping quoted strings and comments, whatever the formatting.

const CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Index of the last character of the string literal or comment starting at `start`, or -1. */
function skipLiteral(text: string, start: number): number {
  const c = text[start];
  if (c === '/' && text[start + 1] === '/') {
    const end = text.indexOf('\n', start);
    return end === -1 ? text.length - 1 : end - 1;
  }
  if (c === '/' && text[start + 1] === '*') {
    const end = text.indexOf('*/', start + 2);
    if (end === -1) throw new Error(`unterminated comment at ${start}`);
    return end + 1;
  }
  if (c !== "'" && c !== '"' && c !== '`') return -1;
  const delimiter = c !== '`' && text.startsWith(c.repeat(3), start) ? c.repeat(3) : c;
  for (let i = start + delimiter.length; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text.startsWith(delimiter, i)) return i + delimiter.length - 1;
  }
  throw new Error(`unterminated string at ${start}`);
}

/** The text between the bracket at `open` and its partner. */
function enclosed(text: string, open: number): string {
  const first = text[open];
  if (first === undefined || !(first in CLOSER)) throw new Error(`no bracket at ${open}: ${text.slice(open, open + 20)}`);
  const expected: string[] = [];
  for (let i = open; i < text.length; i++) {
    const skip = skipLiteral(text, i);
    if (skip !== -1) {
      i = skip;
      continue;
    }
    const c = text[i]!;
    if (c in CLOSER) expected.push(CLOSER[c]!);
    else if (c === ')' || c === ']' || c === '}') {
      if (expected.pop() !== c) throw new Error(`unbalanced ${c} at ${i}`);
      if (expected.length === 0) return text.slice(open + 1, i);
    }
  }
  throw new Error(`unclosed ${first} at ${open}`);
}

/** The region enclosed by the bracket that ends the first match of `opener` (which must end with a bracket). */
function regionAfter(text: string, opener: RegExp, from = 0): string {
  const match = new RegExp(opener.source, opener.flags.replace('g', '') + 'g');
  match.lastIndex = from;
  const found = match.exec(text);
  if (!found) throw new Error(`${opener} not found`);
  return enclosed(text, found.index + found[0].length - 1);
}

/** Splits on top-level separators (outside brackets, strings and comments); drops empty parts. */
function splitTopLevel(text: string, separator = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const skip = skipLiteral(text, i);
    if (skip !== -1) {
      i = skip;
      continue;
    }
    const c = text[i]!;
    if (c in CLOSER) depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && c === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map(withoutComments).filter((part) => part !== '');
}

function withoutComments(text: string): string {
  return text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (comment, offset: number) => (isInsideString(text, offset) ? comment : '')).trim();
}

function isInsideString(text: string, offset: number): boolean {
  for (let i = 0; i < offset; i++) {
    if (text[i] === "'" || text[i] === '"' || text[i] === '`') {
      const end = skipLiteral(text, i);
      if (end >= offset) return true;
      i = end;
    }
  }
  return false;
}

/** Keys of a map / object literal body (`key: value`, `'key': value`, shorthand `key`). */
function literalKeys(body: string): string[] {
  return splitTopLevel(body).map((entry) => {
    const key = /^(?:'([^']*)'|"([^"]*)"|([A-Za-z_$][\w$]*))\s*(?::|$)/.exec(entry);
    if (!key) throw new Error(`not a key: value entry: ${entry}`);
    return key[1] ?? key[2] ?? key[3]!;
  });
}

/** Named arguments of a Groovy call (`name: value, ...`) as raw value texts. */
function namedArgs(args: string): Map<string, string> {
  const named = new Map<string, string>();
  for (const entry of splitTopLevel(args)) {
    const match = /^(\w+)\s*:\s*([\s\S]*)$/.exec(entry);
    if (match) named.set(match[1]!, match[2]!.trim());
  }
  return named;
}

/** The value of a single- or double-quoted string literal. */
function unquote(literal: string | undefined): string {
  const match = /^(['"])((?:\\.|(?!\1)[^\\])*)\1$/s.exec(literal?.trim() ?? '');
  if (!match) throw new Error(`not a string literal: ${literal}`);
  return match[2]!.replace(/\\(.)/g, '$1');
}

/**
 * Arguments of every use of Groovy step `name` from `code`: `name(args)`, or the command form
 * `name a: 1, b: [..]` up to the end of its line (continued while a bracket is open).
 */
function stepCalls(code: string, name: string): Array<{ index: number; args: string }> {
  const calls: Array<{ index: number; args: string }> = [];
  const use = new RegExp(`\\b${name}\\b[ \\t]*`, 'g');
  for (let found = use.exec(code); found; found = use.exec(code)) {
    const start = found.index + found[0].length;
    if (code[start] === '(') {
      calls.push({ index: found.index, args: enclosed(code, start) });
      continue;
    }
    let depth = 0;
    let end = start;
    for (; end < code.length; end++) {
      const skip = skipLiteral(code, end);
      if (skip !== -1) {
        end = skip;
        continue;
      }
      const c = code[end]!;
      if (c in CLOSER) depth++;
      else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) break;
        depth--;
      } else if (c === '\n' && depth === 0) break;
    }
    calls.push({ index: found.index, args: code.slice(start, end) });
  }
  return calls;
}

// ---------------------------------------------------------------------------------------------
// The sources under test.

const jenkinsfileText = readFileSync(path.join(here, 'Jenkinsfile'), 'utf8');
/** The Jenkinsfile without its whole-line comments (the header talks about the code). */
const jenkinsfile = jenkinsfileText
  .split('\n')
  .filter((line) => !/^\s*\/\//.test(line))
  .join('\n');

/** The keys of the `params` object literal that buildNumberFor passes to triggerBuild. */
function engineParameterNames(source = read('activities/build.ts')): string[] {
  const fn = /\bfunction\s+buildNumberFor\s*\(/.exec(source);
  if (!fn) throw new Error('activities/build.ts has no function buildNumberFor');
  return literalKeys(regionAfter(source, /\b(?:const|let)\s+params\s*(?::[^=]+)?=\s*\{/, fn.index));
}

/** The keys of deployResultSchema (what the engine reads from deploy-result.json). */
function engineResultKeys(): string[] {
  return literalKeys(regionAfter(read('activities/build.ts'), /\bdeployResultSchema\s*=\s*z\s*\.\s*object\s*\(\s*\{/));
}

/** The calls in the Jenkinsfile's `parameters { }` block. */
function declaredParameters(): Array<{ type: string; args: Map<string, string> }> {
  const block = regionAfter(jenkinsfile, /^\s*parameters\s*\{/m);
  const declared: Array<{ type: string; args: Map<string, string> }> = [];
  let rest = block;
  for (;;) {
    rest = rest.replace(/^[\s;]+/, '');
    if (rest === '') return declared;
    const call = /^(\w+)\s*\(/.exec(rest);
    if (!call) throw new Error(`unexpected text in the parameters block: ${rest.slice(0, 60)}`);
    const args = enclosed(rest, call[0].length - 1);
    declared.push({ type: call[1]!, args: namedArgs(args) });
    rest = rest.slice(call[0].length + args.length + 1);
  }
}

/** The values of the variable names bound by withCredentials (usernameVariable, passwordVariable, variable, ...). */
function credentialBindings(): Array<{ binding: string; credentialsId: string; variables: string[] }> {
  const bindings: Array<{ binding: string; credentialsId: string; variables: string[] }> = [];
  for (const { args } of stepCalls(jenkinsfile, 'withCredentials')) {
    const list = /^\s*\[/.test(args) ? enclosed(args, args.indexOf('[')) : args;
    for (const entry of splitTopLevel(list)) {
      const call = /^(\w+)\s*\(/.exec(entry);
      if (!call) throw new Error(`not a binding: ${entry}`);
      const named = namedArgs(enclosed(entry, call[0].length - 1));
      bindings.push({
        binding: call[1]!,
        credentialsId: unquote(named.get('credentialsId')),
        variables: [...named].filter(([key]) => key === 'variable' || key.endsWith('Variable')).map(([, value]) => unquote(value)),
      });
    }
  }
  return bindings;
}

const sorted = (names: Iterable<string>) => [...names].sort();

// ---------------------------------------------------------------------------------------------

describe('the scanner', () => {
  it('finds keys whatever the formatting, and skips strings and comments', () => {
    expect(literalKeys(`A: f(1, 2), // x, y\n 'B' : "}", C,\n/* D: 1, */ E: { F: [1, 2] },`)).toEqual(['A', 'B', 'C', 'E']);
    expect(literalKeys(`\n  DEPLOY_ID:deploymentId,REPO_URL :\n project.repoUrl ,`)).toEqual(['DEPLOY_ID', 'REPO_URL']);
    expect(namedArgs(`name: 'X', description: 'a (b) \\'c\\', d', trim: true`).get('description')).toBe(`'a (b) \\'c\\', d'`);
  });
});

describe('infra/jenkins/Jenkinsfile', () => {
  const engine = engineParameterNames();

  it('reads the parameter names from activities/build.ts', () => {
    // Guards the extraction itself: the engine sends these at least (more is fine, they are read).
    expect(engine).toEqual(expect.arrayContaining(['DEPLOY_ID', 'REPO_URL', 'COMMIT_SHA', 'FRAMEWORK', 'IMAGE_REPOSITORY', 'IMAGE_TAG']));
    expect(new Set(engine).size).toBe(engine.length);
  });

  it('reads them whatever the formatting of the params literal', () => {
    const source = read('activities/build.ts');
    const start = source.search(/\bconst\s+params\s*=\s*\{/);
    const open = source.indexOf('{', start);
    const body = enclosed(source, open);
    const reformat = (newBody: string) => `${source.slice(0, open + 1)}${newBody}${source.slice(open + 1 + body.length)}`;
    const entries = splitTopLevel(body);
    const variants = [
      entries.join(', '), // one line
      entries.map((e) => e.replace(/^(\w+):\s*/, "'$1' :\n    ")).join(',\n  /* } */ // , x: 1\n'), // quoted keys, comments
      `\n${entries.map((e) => `    ${e}`).join(',\n')},\n  `, // trailing comma
    ];
    for (const variant of variants) expect(engineParameterNames(reformat(variant))).toEqual(engine);
  });

  it('declares exactly the parameters the engine sends, string parameters and the password REPO_TOKEN, with a description', () => {
    const declared = declaredParameters();
    const typeOf = (p: { type: string; args: Map<string, string> }) => `${unquote(p.args.get('name'))}: ${p.type}`;
    expect(declared.filter((p) => p.type !== 'string').map(typeOf)).toEqual(['REPO_TOKEN: password']);
    const names = declared.map((p) => unquote(p.args.get('name')));
    expect(new Set(names).size).toBe(names.length);
    expect(sorted(names)).toEqual(sorted(engine));
    for (const p of declared) expect(unquote(p.args.get('description')).trim(), unquote(p.args.get('name'))).not.toBe('');
  });

  it('validates the shape of every parameter but REPO_TOKEN; REPO_USERNAME may be empty', () => {
    // The formats are slashy regexes (brackets and quotes the scanner cannot tell from code):
    // read the `NAME: /regex/` lines of the maps instead.
    const mapKeys = (variable: string) => {
      const start = new RegExp(`^\\s*def\\s+${variable}\\s*=\\s*\\[\\s*$`, 'm').exec(jenkinsfile);
      expect(start, variable).not.toBeNull();
      const lines = jenkinsfile.slice(start!.index + start![0].length).split('\n');
      const body = lines.slice(
        0,
        lines.findIndex((line) => /^\s*\]\s*$/.test(line)),
      );
      return body.map((line) => /^\s*([A-Z][A-Z0-9_]*)\s*:/.exec(line)?.[1]).filter((name) => name !== undefined);
    };
    const required = mapKeys('formats');
    const optional = mapKeys('optionalFormats');
    expect(optional).toEqual(['REPO_USERNAME']);
    expect(sorted([...required, ...optional])).toEqual(sorted(engine.filter((name) => name !== 'REPO_TOKEN')));
  });

  it('keeps REPO_TOKEN out of Groovy: declared with password(), read only by single-quoted shell scripts', () => {
    const declared = declaredParameters().filter((p) => unquote(p.args.get('name')) === 'REPO_TOKEN');
    expect(declared.map((p) => p.type)).toEqual(['password']);
    expect(unquote(declared[0]!.args.get('defaultValue'))).toBe('');
    expect(jenkinsfile).not.toMatch(/\bstring\s*\(\s*name\s*:\s*['"]REPO_TOKEN['"]/);
    // Before the pipeline block (parameterProblems & co) nothing touches it.
    const pipelineStart = jenkinsfile.search(/^pipeline\s*\{/m);
    expect(jenkinsfile.slice(0, pipelineStart)).not.toMatch(/REPO_TOKEN/);
    // In the pipeline block: no Groovy-interpolated ("...", """...""") string and no Groovy
    // expression (params.REPO_TOKEN, env.REPO_TOKEN) names it; single-quoted scripts may.
    const pipeline = enclosed(jenkinsfile, jenkinsfile.indexOf('{', pipelineStart));
    let code = '';
    const doubleQuoted: string[] = [];
    for (let i = 0; i < pipeline.length; i++) {
      const end = skipLiteral(pipeline, i);
      if (end === -1) {
        code += pipeline[i];
        continue;
      }
      if (pipeline[i] === '"') doubleQuoted.push(pipeline.slice(i, end + 1));
      i = end;
    }
    expect(doubleQuoted.length).toBeGreaterThan(0); // the scan did find Groovy strings
    expect(doubleQuoted.filter((literal) => /REPO_TOKEN/.test(literal))).toEqual([]);
    expect(code).not.toMatch(/REPO_TOKEN/);
  });

  it('checks a private repository out with an Authorization header in GIT_CONFIG_* variables, never a URL with credentials', () => {
    const scripts = jenkinsfile.split("'''").filter((_, i) => i % 2 === 1);
    const withToken = scripts.filter((script) => /\$\{?REPO_TOKEN\b/.test(script));
    expect(withToken).toHaveLength(1);
    const script = withToken[0]!;
    const lines = script
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    expect(lines[0]).toBe('set +x');
    expect(lines).toEqual(
      expect.arrayContaining([
        'export GIT_TERMINAL_PROMPT=0',
        'export GIT_CONFIG_COUNT=1',
        'export GIT_CONFIG_KEY_0=http.extraHeader',
        'export GIT_CONFIG_VALUE_0',
      ]),
    );
    expect(script).toMatch(/GIT_CONFIG_VALUE_0="Authorization: Basic \$\(printf '%s:%s' "\$REPO_USERNAME" "\$REPO_TOKEN" \| base64/);
    expect(script).toMatch(/git remote add origin "\$REPO_URL"/);
    expect(script).toMatch(/git -c protocol\.version=2 fetch [^\n]*--depth=1 origin "\$COMMIT_SHA"/);
    expect(script).toMatch(/git checkout [^\n]*--detach FETCH_HEAD/);
    // Not on argv (-c http.extraHeader=...), not in a URL (https://user:token@...).
    expect(script).not.toMatch(/-c\s+http\./);
    expect(script).not.toMatch(/:\/\/[^\s]*\$\{?REPO_(TOKEN|USERNAME)/);
    // The other shell reading it only tests it, and silences -x first.
    const tests = stepCalls(jenkinsfile, 'sh').filter(({ args }) => /REPO_TOKEN/.test(args) && !args.includes("'''"));
    expect(tests.map(({ args }) => unquote(namedArgs(args).get('script')))).toEqual(['set +x; [ -n "$REPO_TOKEN" ]']);
    // The engine's token path is the only way besides the git plugin with git-credentials.
    expect(stepCalls(jenkinsfile, 'scmGit')).toHaveLength(1);
  });

  it("knows the engine's frameworks", () => {
    const list = regionAfter(jenkinsfile, /\bframeworks\s*\(\s*\)\s*\{[^[]*\[/);
    expect(splitTopLevel(list).map(unquote)).toEqual([...FRAMEWORKS]);
  });

  it('checks out exactly COMMIT_SHA of REPO_URL, in a clean workspace, and verifies HEAD', () => {
    const checkouts = stepCalls(jenkinsfile, 'scmGit').map(({ args }) => namedArgs(args));
    expect(checkouts).toHaveLength(1);
    const scm = checkouts[0]!;
    expect(scm.get('branches')?.replace(/\s+/g, '')).toBe('[[name:params.COMMIT_SHA]]');
    expect(scm.get('userRemoteConfigs')?.replace(/\s+/g, '')).toMatch(/url:params\.REPO_URL\b/);
    expect(scm.get('userRemoteConfigs')).toMatch(/credentialsId:/);
    expect(jenkinsfile).toMatch(/git-credentials/);
    expect(jenkinsfile).toMatch(/rev-parse HEAD/);
    expect(jenkinsfile).toMatch(/!=\s*params\.COMMIT_SHA/);
    expect(jenkinsfile).toMatch(/\bdeleteDir\(\)/);
    expect(jenkinsfile).not.toMatch(/cloneOption\([^)]*shallow:\s*true/);
  });

  it('writes deploy-result.json with the keys the engine reads, then archives it', () => {
    const writes = stepCalls(jenkinsfile, 'writeJSON')
      .map((call) => ({ ...call, named: namedArgs(call.args) }))
      .filter(({ named }) => unquote(named.get('file')) === 'deploy-result.json');
    expect(writes).toHaveLength(1);
    const write = writes[0]!;
    const json = write.named.get('json') ?? '';
    expect(json.startsWith('[')).toBe(true);
    const keys = literalKeys(enclosed(json, 0));
    expect(sorted(keys)).toEqual(sorted(['imageRepository', 'imageTag', 'imageDigest', 'commitSha']));
    expect(keys).toEqual(expect.arrayContaining(engineResultKeys()));

    const archives = stepCalls(jenkinsfile, 'archiveArtifacts')
      .map((call) => ({ ...call, named: namedArgs(call.args) }))
      .filter(({ named }) => unquote(named.get('artifacts')) === 'deploy-result.json');
    expect(archives).toHaveLength(1);
    expect(archives[0]!.named.get('fingerprint')).toBe('true');
    expect(archives[0]!.index).toBeGreaterThan(write.index);
  });

  it('pushes with the harbor-robot credentials and never echoes a credential variable', () => {
    const bindings = credentialBindings();
    expect(bindings).toContainEqual({ binding: 'usernamePassword', credentialsId: 'harbor-robot', variables: expect.arrayContaining([expect.any(String)]) });
    const variables = bindings.flatMap((b) => b.variables);
    expect(variables.length).toBeGreaterThanOrEqual(2);
    for (const variable of variables) {
      const echoes = jenkinsfile.split('\n').filter((line) => /\becho\b/.test(line) && new RegExp(`\\b${variable}\\b`).test(line));
      expect(echoes, variable).toEqual([]);
      // Outside the single-quoted ''' shell scripts, a secret would be interpolated by Groovy.
      const groovy = jenkinsfile
        .split("'''")
        .filter((_, i) => i % 2 === 0)
        .join('\n');
      expect(groovy, variable).not.toMatch(new RegExp(`(\\$\\{?|env\\.)${variable}\\b`));
    }
    expect(jenkinsfile).toMatch(/--password-stdin/);
  });

  it('builds, labels and tags the image for Harbor, scans without gating, cleans up', () => {
    expect(jenkinsfile).toMatch(/org\.opencontainers\.image\.revision="?\$\{?COMMIT_SHA/);
    expect(jenkinsfile).toMatch(/org\.opencontainers\.image\.source=/);
    expect(jenkinsfile).toMatch(/IMAGE_REF\s*=\s*"\$\{env\.HARBOR_HOST\}\/\$\{params\.IMAGE_REPOSITORY\}:\$\{params\.IMAGE_TAG\}"/);
    expect(jenkinsfile).toMatch(/trivy image[^\n]*--exit-code 0/);
    expect(jenkinsfile).not.toMatch(/disableConcurrentBuilds/);
    expect(jenkinsfile).toMatch(/post\s*\{\s*always\s*\{[^}]*docker image rm/);
  });
});

describe('the simulator', () => {
  it('declares the same parameters as the engine sends (simulators/jenkins/options.ts DEFAULT_PARAMETERS)', () => {
    // Fails while DEFAULT_PARAMETERS lacks a parameter the engine sends (e.g. APP_PORT): then the
    // simulator accepts builds with parameters the real job would have to declare.
    expect(sorted(DEFAULT_PARAMETERS), 'DEFAULT_PARAMETERS of simulators/jenkins/options.ts vs the params of activities/build.ts').toEqual(
      sorted(engineParameterNames()),
    );
  });
});

describe('infra/jenkins/dockerfiles', () => {
  const dir = path.join(here, 'dockerfiles');
  const templated = FRAMEWORKS.filter((framework) => framework !== 'dockerfile');

  it.each(templated)('has a multi-stage %s.Dockerfile that runs as non-root and listens on $PORT from APP_PORT', (framework) => {
    const file = path.join(dir, `${framework}.Dockerfile`);
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.match(/^FROM\s/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG APP_PORT(=\d+)?$/m);
    expect(text).toMatch(/\bPORT=\$\{APP_PORT\}/);
    const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1) ?? 'root').not.toMatch(/^(root|0)(:|$)/);
  });

  it('has no template for a framework the engine does not know', () => {
    const templates = readdirSync(dir)
      .filter((file) => file.endsWith('.Dockerfile'))
      .map((file) => file.replace(/\.Dockerfile$/, ''));
    expect(sorted(templates)).toEqual(sorted(templated));
  });
});
