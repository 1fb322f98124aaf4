// Build: compile TypeScript to dist/ and copy the browser libraries Quire serves itself
// (never from a CDN) into static/vendor/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vendor = path.join(root, 'static', 'vendor');

const copies = [
  ['node_modules/quill/dist/quill.js', 'quill.js'],
  ['node_modules/quill/dist/quill.snow.css', 'quill.snow.css'],
  ['node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js', 'simplewebauthn-browser.js'],
];

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
for (const [from, to] of copies) copyFileSync(path.join(root, from), path.join(vendor, to));

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
