#!/usr/bin/env node
// Fails when the workspace's packages depend on each other in a cycle, by either account: the nx
// project graph (`npx nx graph --file=FILE`, given as the first argument) and the packages' own
// package.json dependencies + devDependencies. Prints one line per graph and each cycle it finds.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every cycle reachable in `edges` (node -> successors), each as its path back to its start. */
function cycles(edges) {
  const found = [];
  const state = new Map(); // undefined: unvisited, 1: on the stack, 2: done
  const stack = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 1) found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 2);
  };
  for (const node of edges.keys()) if (state.get(node) === undefined) visit(node);
  return found;
}

function nxEdges(file) {
  const { graph } = JSON.parse(readFileSync(file, 'utf8'));
  return new Map(Object.entries(graph.dependencies).map(([p, deps]) => [p, deps.map((d) => d.target).filter((t) => t in graph.nodes)]));
}

function packageEdges() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const pkgs = workspaces.map((w) => JSON.parse(readFileSync(join(root, w, 'package.json'), 'utf8')));
  const names = new Set(pkgs.map((p) => p.name));
  return new Map(pkgs.map((p) => [p.name, Object.keys({ ...p.dependencies, ...p.devDependencies }).filter((d) => names.has(d))]));
}

let status = 0;
const report = (what, edges) => {
  const found = cycles(edges);
  console.log(`${what}: ${edges.size} packages, ${found.length ? `${found.length} cycle(s)` : 'no cycle'}`);
  for (const c of found) console.log(`  ${c.join(' -> ')}`);
  if (found.length) status = 1;
};
if (process.argv[2]) report(`nx graph (${process.argv[2]})`, nxEdges(process.argv[2]));
report('package.json dependencies + devDependencies', packageEdges());
process.exit(status);
