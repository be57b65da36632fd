// `npm run build`: declarations from tsc, JavaScript from esbuild, one bundled module per entry.
// One file instead of ~30 matters to users: the ESM loader resolves, reads and links every module
// separately, and that alone made `await import('subvisor')` 1.4x a bare `node -e 0` (the bench's
// S5); bundled it is within about 1.1x. src/ stays one concern per file.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], { stdio: 'inherit' });
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, logLevel: 'warning' };
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' });
// The CLI's one dependency (yaml) is bundled too: as ~80 CommonJS modules it was a tenth of `up`'s
// start-up. Its CommonJS code requires node builtins ('process'), which an ES module can only do
// through a `require` of its own, hence the banner.
// Split: each command is a chunk loaded on demand, so `subvisor run` does not load the YAML parser.
await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: "import { createRequire as subvisorCreateRequire } from 'node:module'; const require = subvisorCreateRequire(import.meta.url);" },
});
// The CLI ships yaml's code inside its bundle, so it ships yaml's license beside it (ISC asks that
// the notice go with every copy).
const yamlLicense = readFileSync('node_modules/yaml/LICENSE', 'utf8');
writeFileSync('dist/cli/THIRD-PARTY-NOTICES.txt', `The subvisor command line bundles yaml (https://eemeli.org/yaml/), under this license:\n\n${yamlLicense}`);
