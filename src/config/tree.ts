/**
 * Block tree: line pieces → nodes. A node is a keyword with its argument
 * tokens; a `{` piece right after it opens its block of child nodes (value
 * blocks such as `virtual_ipaddress { ... }` are children too, one per line).
 */
import { BUDGET_CODES, DEFAULT_LIMITS } from './budget';
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

const NO_ARGS: Token[] = [];

/** A Node whose `loc` is its keyword's (computed, so the tree holds one object less per line). */
class TreeNode implements Node {
  children?: Node[];
  blockLoc?: Loc;
  endLoc?: Loc;

  constructor(readonly key: Token, readonly args: Token[], readonly raw: string) {}

  get loc(): Loc {
    return this.key.loc;
  }
}

interface Frame {
  nodes: Node[];
  open?: Loc;
  owner?: Node;
}

/** Builds the tree from pieces as the preprocessor produces them (nothing else is retained). */
export class TreeBuilder {
  private readonly root: Frame = { nodes: [] };
  private readonly stack: Frame[] = [this.root];
  private last: Node | undefined;
  /** A top-level node that may still get its `{` on the next piece. */
  private pendingRoot: Node | undefined;

  /**
   * With `onRoot`, each complete top-level node (its block closed) is handed
   * over at once instead of being kept, so a large configuration's tree never
   * exists whole (its words die young, which keeps the GC cheap).
   */
  /** Open blocks being skipped because they are nested deeper than `maxDepth`. */
  private skipping = 0;

  constructor(
    private readonly diags: DiagnosticSink,
    private readonly onRoot?: (n: Node) => void,
    private readonly maxDepth = DEFAULT_LIMITS.blockDepth,
  ) {}

  private flushRoot(): void {
    const n = this.pendingRoot;
    if (!n) return;
    this.pendingRoot = undefined;
    if (this.onRoot) this.onRoot(n);
    else this.root.nodes.push(n);
  }

  push(tokens: Token[], raw: string): void {
    const word = tokens[0];
    const stack = this.stack;
    const top = stack[stack.length - 1];
    const brace = tokens.length === 1 && !word.quoted ? word.text : '';
    if (this.skipping > 0) {
      // Inside a block nested too deep: only its braces are followed, to find its end.
      if (brace === '{') this.skipping++;
      else if (brace === '}') this.skipping--;
      return;
    }
    if (brace === '{' && stack.length > this.maxDepth) {
      this.diags.error(BUDGET_CODES.blockDepth, word.loc, `Blocks nested more than ${this.maxDepth} deep - this block is ignored`);
      this.skipping = 1;
      this.last = undefined;
      return;
    }
    if (brace === '{') {
      const last = this.last;
      if (!last || last.children) {
        this.diags.warn('W_UNEXPECTED_BOB', word.loc, "Unexpected '{' - ignoring");
        stack.push({ nodes: [], open: word.loc });
      } else {
        last.children = [];
        last.blockLoc = word.loc;
        stack.push({ nodes: last.children, open: last.blockLoc, owner: last });
      }
      this.last = undefined;
      return;
    }
    if (brace === '}') {
      if (stack.length === 1) this.diags.warn('W_UNEXPECTED_EOB', word.loc, "Extra '}' found");
      else {
        const f = stack.pop();
        if (f?.owner) f.owner.endLoc = word.loc;
        if (stack.length === 1) this.flushRoot();
      }
      this.last = undefined;
      return;
    }
    const node = new TreeNode(word, tokens.length > 1 ? tokens.slice(1) : NO_ARGS, raw);
    if (stack.length === 1) {
      this.flushRoot();
      this.pendingRoot = node;
    } else top.nodes.push(node);
    this.last = node;
  }

  /** The root nodes; reports blocks still open at the end. */
  finish(): Node[] {
    this.flushRoot();
    for (let i = this.stack.length - 1; i > 0; i--) {
      this.diags.warn('W_MISSING_EOB', this.stack[i].open ?? this.root.nodes[0]?.loc ?? { file: '', line: 0, col: 0 },
        "Missing '}' at end of configuration for block opened here");
    }
    return this.root.nodes;
  }
}

export function buildTree(pieces: Piece[], diags: DiagnosticSink): Node[] {
  const b = new TreeBuilder(diags);
  for (const p of pieces) b.push(p.tokens, p.raw);
  return b.finish();
}
