// Jenkins' `?tree=` filter of the remote access API: `builds[number,queueId]{0,10}` keeps only
// the named fields (recursively), `{m,n}` slices arrays. `_class` is always kept, as Jenkins does.
export interface TreeNode {
  name: string;
  children?: TreeNode[];
  range?: { start?: number; end?: number };
}

export class TreeSyntaxError extends Error {
  override readonly name = 'TreeSyntaxError';
}

/** Parses a tree expression such as `jobs[name],builds[number,actions[parameters[name,value]]]{0,5}`. */
export function parseTree(expression: string): TreeNode[] {
  let pos = 0;
  const src = expression.replace(/\s+/g, '');

  function list(closing?: string): TreeNode[] {
    const nodes: TreeNode[] = [];
    for (;;) {
      const start = pos;
      while (pos < src.length && /[A-Za-z0-9_$]/.test(src[pos] ?? '')) pos += 1;
      const name = src.slice(start, pos);
      if (!name) throw new TreeSyntaxError(`Expected a property name at ${pos} in ${JSON.stringify(expression)}`);
      const node: TreeNode = { name };
      if (src[pos] === '[') {
        pos += 1;
        node.children = list(']');
      }
      if (src[pos] === '{') node.range = range();
      nodes.push(node);
      if (src[pos] === ',') {
        pos += 1;
        continue;
      }
      if (closing && src[pos] === closing) {
        pos += 1;
        return nodes;
      }
      if (!closing && pos === src.length) return nodes;
      throw new TreeSyntaxError(`Unexpected ${src[pos] === undefined ? 'end' : JSON.stringify(src[pos])} at ${pos} in ${JSON.stringify(expression)}`);
    }
  }

  function range(): { start?: number; end?: number } {
    const close = src.indexOf('}', pos);
    if (close < 0) throw new TreeSyntaxError(`Unmatched { in ${JSON.stringify(expression)}`);
    const body = src.slice(pos + 1, close);
    pos = close + 1;
    const m = /^(\d*)(,(\d*))?$/.exec(body);
    if (!m) throw new TreeSyntaxError(`Bad range {${body}}`);
    const start = m[1] ? Number(m[1]) : undefined;
    if (m[2] === undefined) {
      // {n} = exactly element n
      if (start === undefined) throw new TreeSyntaxError('Empty range {}');
      return { start, end: start + 1 };
    }
    return { start, end: m[3] ? Number(m[3]) : undefined };
  }

  return list();
}

/** Applies a parsed tree to a JSON value. */
export function applyTree(value: unknown, nodes: TreeNode[]): unknown {
  if (Array.isArray(value)) return value.map((v) => applyTree(v, nodes));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ('_class' in source) out._class = source._class;
  for (const node of nodes) {
    if (!(node.name in source)) continue;
    let v = source[node.name];
    if (Array.isArray(v) && node.range) v = v.slice(node.range.start ?? 0, node.range.end);
    // Like Jenkins, a nested object named without `[...]` keeps only its `_class`.
    out[node.name] = applyTree(v, node.children ?? []);
  }
  return out;
}
