/**
 * Block tree: line pieces → nodes. A node is a keyword with its argument
 * tokens; a `{` piece right after it opens its block of child nodes (value
 * blocks such as `virtual_ipaddress { ... }` are children too, one per line).
 */
import type { DiagnosticSink, Loc } from './diagnostics';
import type { Piece, Token } from './lexer';

export interface Node {
  /** The keyword token (first word of the line). */
  key: Token;
  /** The remaining words. */
  args: Token[];
  /** Raw text of the line piece (after preprocessing), for script commands. */
  raw: string;
  loc: Loc;
  /** Child nodes when the keyword opened a `{ }` block. */
  children?: Node[];
  /** Location of the opening `{`. */
  blockLoc?: Loc;
  /** Location of the closing `}` (where keepalived runs a block's end checks). */
  endLoc?: Loc;
}

interface Frame {
  nodes: Node[];
  open?: Loc;
  owner?: Node;
}

export function buildTree(pieces: Piece[], diags: DiagnosticSink): Node[] {
  const root: Frame = { nodes: [] };
  const stack: Frame[] = [root];
  let last: Node | undefined;
  for (const p of pieces) {
    const word = p.tokens[0];
    const top = stack[stack.length - 1];
    if (p.tokens.length === 1 && !word.quoted && word.text === '{') {
      if (!last || last.children) {
        diags.warn('W_UNEXPECTED_BOB', p.loc, "Unexpected '{' - ignoring");
        stack.push({ nodes: [], open: p.loc });
      } else {
        last.children = [];
        last.blockLoc = p.loc;
        stack.push({ nodes: last.children, open: p.loc, owner: last });
      }
      last = undefined;
      continue;
    }
    if (p.tokens.length === 1 && !word.quoted && word.text === '}') {
      if (stack.length === 1) diags.warn('W_UNEXPECTED_EOB', p.loc, "Extra '}' found");
      else {
        const f = stack.pop();
        if (f?.owner) f.owner.endLoc = p.loc;
      }
      last = undefined;
      continue;
    }
    const node: Node = { key: word, args: p.tokens.slice(1), raw: p.raw, loc: p.loc };
    top.nodes.push(node);
    last = node;
  }
  for (let i = stack.length - 1; i > 0; i--) {
    diags.warn('W_MISSING_EOB', stack[i].open ?? root.nodes[0]?.loc ?? { file: '', line: 0, col: 0 },
      "Missing '}' at end of configuration for block opened here");
  }
  return root.nodes;
}
