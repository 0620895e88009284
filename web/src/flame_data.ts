// Flame graph data: the server's call tree (GET /api/v1/merge?format=flame, or
// /api/v1/diff?format=flame with each node's base values) flattened into preorder typed
// arrays, so that a subtree is the index range [i, end[i]) and drawing or hit-testing
// 100,000 nodes allocates nothing. Also the trees of a sandwich view: one function's
// callers and callees, merged over every call path that reaches it.

export interface FlameJson {
  name: string;
  value: number;
  self: number;
  base?: number;
  base_self?: number;
  children: FlameJson[];
  meta?: FlameMeta;
}

export interface FlameMeta {
  sample_type: string;
  unit: string;
  total: number;
  base_total?: number;
  base_scale?: number;
  nodes?: number;
  full_nodes?: number;
}

export class FlameData {
  readonly names: string[] = [];
  readonly count: number;
  readonly nameId: Uint32Array;
  readonly value: Float64Array;  // the comparison's (or only profile's) total
  readonly self: Float64Array;
  readonly base: Float64Array | null;  // diff trees: the base's total, unscaled
  readonly baseSelf: Float64Array | null;
  readonly width: Float64Array;  // value, plus base·scale in diff trees
  readonly offset: Float64Array;  // left edge, in width units from the root's left edge
  readonly depth: Uint16Array;
  readonly end: Uint32Array;  // one past the subtree's last node
  readonly parent: Int32Array;
  readonly maxDepth: number;
  readonly baseScale: number;

  constructor(root: FlameJson, readonly meta: FlameMeta) {
    const diff = root.base !== undefined;
    this.baseScale = meta.base_scale ?? 1;
    let n = 0;
    const count = [root];
    while (count.length) {
      const node = count.pop()!;
      n++;
      for (const child of node.children) count.push(child);
    }
    this.count = n;
    this.nameId = new Uint32Array(n);
    this.value = new Float64Array(n);
    this.self = new Float64Array(n);
    this.base = diff ? new Float64Array(n) : null;
    this.baseSelf = diff ? new Float64Array(n) : null;
    this.width = new Float64Array(n);
    this.offset = new Float64Array(n);
    this.depth = new Uint16Array(n);
    this.end = new Uint32Array(n);
    this.parent = new Int32Array(n);
    const ids = new Map<string, number>();
    // Preorder with an explicit stack (Go stacks can be hundreds of frames deep). Each
    // entry is a node, its parent's index, and its left edge.
    const stack: Array<{ node: FlameJson; parent: number; offset: number; depth: number }> = [
      { node: root, parent: -1, offset: 0, depth: 0 },
    ];
    let next = 0;
    let maxDepth = 0;
    const open: number[] = [];  // indices whose subtree is still being filled
    while (stack.length) {
      const { node, parent, offset, depth } = stack.pop()!;
      while (open.length && this.depth[open[open.length - 1]] >= depth) this.end[open.pop()!] = next;
      const i = next++;
      let id = ids.get(node.name);
      if (id === undefined) {
        id = this.names.length;
        ids.set(node.name, id);
        this.names.push(node.name);
      }
      this.nameId[i] = id;
      this.value[i] = node.value;
      this.self[i] = node.self;
      if (this.base && this.baseSelf) {
        this.base[i] = node.base ?? 0;
        this.baseSelf[i] = node.base_self ?? 0;
      }
      // Negative values (a diff profile opened as a profile) would fold frames over
      // their siblings: they are laid out as zero wide.
      this.width[i] = Math.max(0, node.value) + (diff ? Math.max(0, node.base ?? 0) * this.baseScale : 0);
      this.offset[i] = offset;
      this.depth[i] = depth;
      this.parent[i] = parent;
      maxDepth = Math.max(maxDepth, depth);
      open.push(i);
      // Children go on the stack last-first so they come off in order; each starts
      // where its elder siblings end.
      let x = offset;
      const placed = node.children.map((child) => {
        const at = x;
        x += Math.max(0, child.value) + (diff ? Math.max(0, child.base ?? 0) * this.baseScale : 0);
        return at;
      });
      for (let c = node.children.length - 1; c >= 0; c--) {
        stack.push({ node: node.children[c], parent: i, offset: placed[c], depth: depth + 1 });
      }
    }
    while (open.length) this.end[open.pop()!] = next;
    this.maxDepth = maxDepth;
  }

  get isDiff(): boolean {
    return this.base !== null;
  }

  name(i: number): string {
    return this.names[this.nameId[i]];
  }

  // Indices of nodes named `name` with no ancestor of the same name: summing their
  // values gives the function's cumulative value, as `top` reports it.
  outermost(name: string): number[] {
    const id = this.names.indexOf(name);
    if (id < 0) return [];
    const found: number[] = [];
    for (let i = 0; i < this.count; ) {
      if (this.nameId[i] === id) {
        found.push(i);
        i = this.end[i];
      } else {
        i++;
      }
    }
    return found;
  }

  // The names from the root's child down to node i: a zoom that survives reloads.
  pathOf(i: number): string[] {
    const path: string[] = [];
    for (let j = i; j > 0; j = this.parent[j]) path.push(this.name(j));
    return path.reverse();
  }

  // The node reached by following `path` from the root, or 0 (the root) if it is gone.
  find(path: string[]): number {
    let at = 0;
    for (const name of path) {
      let found = -1;
      for (let c = at + 1; c < this.end[at]; c = this.end[c]) {
        if (this.name(c) === name) {
          found = c;
          break;
        }
      }
      if (found < 0) return at;
      at = found;
    }
    return at;
  }

  // Callees: every outermost call of `name`, merged into one tree rooted at it.
  calleesTree(name: string): FlameJson {
    const root: FlameJson = { name, value: 0, self: 0, children: [] };
    for (const i of this.outermost(name)) this.mergeSubtree(root, i);
    return root;
  }

  // Callers: from `name` up to the root along every path, merged; the root is `name`
  // (its self is the function's flat value, recursion included) and its children are the
  // direct callers. Callers have no self of their own here.
  callersTree(name: string): FlameJson {
    const root: FlameJson = { name, value: 0, self: 0, children: [] };
    for (const i of this.outermost(name)) {
      const v = this.value[i];
      root.value += v;
      root.self += this.sumSelfByName(i, this.nameId[i]);
      let at = root;
      for (let p = this.parent[i]; p > 0; p = this.parent[p]) {
        at = childNamed(at, this.name(p));
        at.value += v;
      }
    }
    sortTree(root);
    return root;
  }

  private mergeSubtree(into: FlameJson, i: number): void {
    into.value += this.value[i];
    into.self += this.self[i];
    for (let c = i + 1; c < this.end[i]; c = this.end[c]) {
      this.mergeSubtree(childNamed(into, this.name(c)), c);
    }
    sortTree(into, false);
  }

  // Self value of `name` anywhere in the subtree of i (recursion counts once per sample).
  private sumSelfByName(i: number, id: number): number {
    let sum = 0;
    for (let j = i; j < this.end[i]; j++) if (this.nameId[j] === id) sum += this.self[j];
    return sum;
  }
}

function childNamed(node: FlameJson, name: string): FlameJson {
  let child = node.children.find((c) => c.name === name);
  if (!child) {
    child = { name, value: 0, self: 0, children: [] };
    node.children.push(child);
  }
  return child;
}

function sortTree(node: FlameJson, deep = true): void {
  node.children.sort((a, b) => b.value - a.value);
  if (deep) for (const c of node.children) sortTree(c);
}
