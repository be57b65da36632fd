// The published declarations, as a strict TypeScript user compiles against them: every public
// name of the SPEC used as the SPEC shows it, and the README's examples, under each module setting
// a Node project uses, with the strictest flags and without `skipLibCheck`. The project's own
// typecheck cannot see this: it compiles src/ with its own settings, not dist/*.d.ts with a user's;
// and readme.test.ts runs the examples through tsx, which strips their types unchecked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { packedForThisFile } from './support/packed.js';

const ROOT = resolve(import.meta.dirname, '..');

const CONSUMER = `
import {
  openNursery, ErrorGroup, collapseErrorGroup, Cancelled, failAfter, moveOnAfter, TooSlowError,
  runProcess, Process, CalledProcessError, CompletedProcess, superviseRunProcess, getLogger, SpawnError,
  ExitedBeforeReadyError, ReadyTimeoutError, OutputClosedBeforeReadyError, OutputLimitError, NotStartedError, StopDeniedError,
  configureLogging, createConsoleSink, createNdjsonSink, LineSplitter, UnknownLevelError, MissingLevelMethodError,
} from 'subvisor';
import type {
  Nursery, Task, TaskContext, SuperviseOptions, RunProcessOptions, OutputLine, ReadyWhen, Logger,
  CalledProcessErrorInit, LevelMethodLogger, LogRecord,
} from 'subvisor';

const log: Logger = getLogger('app');
const lines: string[] = [];
const capture = { io: (line: string): void => { lines.push(line); } };
const maybe = (n: number): number | undefined => (n > 0 ? n : undefined);

const serve: Task<Process> = (ctx: TaskContext<Process>) =>
  superviseRunProcess(['sleep', '1'], { relayStdout: true, logger: capture }, ctx);
const ready: ReadyWhen = (line) => line.includes('ready');
const options: SuperviseOptions = {
  check: true, label: 'web', relayStdout: true, relayStderr: true, relayLevel: 'io', logger: log,
  readyWhen: /listening/, readyTimeoutMs: maybe(1000), killGraceMs: maybe(500), cwd: undefined,
  stopSignal: 'SIGINT', stderr: 'inherit', stdout: 'ignore', env: { ...process.env, PORT: '8080' },
  onLine: (event: OutputLine) => { lines.push(event.label + event.stream + event.line + String(event.pid)); },
  deliverCancel: async (proc: Process) => { proc.terminate(); },
};
// SPEC's \`(event) => void\`: a callback that returns something (an arrow's push) or a promise is one.
const returning: SuperviseOptions = { relayStdout: true, onLine: (event) => lines.push(event.line) };
const waiting: SuperviseOptions = { relayStdout: true, onLine: async (event) => { await Promise.resolve(lines.push(event.line)); } };
const run: RunProcessOptions = { captureStdout: true, stdin: 'text', check: false, cwd: new URL('file:///tmp/') };
const kept: SuperviseOptions<'io'> = { relayStdout: true, logger: capture };
// @ts-expect-error: options kept as SuperviseOptions<'io'> have their logger checked for \`io\`
const mistyped: SuperviseOptions<'io'> = { relayStdout: true, logger: { ino: (line: string): void => { lines.push(line); } } };
const relay: LevelMethodLogger<'relay'> = { relay: (message) => { lines.push(message); } };
// SPEC's signatures, written down as a consumer may (a wrapper, a mock typed after them): the
// functions as declared are each of these, resolving with a CompletedProcess.
export const specRunProcess: (cmd: string[] | string, opts?: RunProcessOptions) => Promise<CompletedProcess> = runProcess;
export const specSupervise: (cmd: readonly string[] | string, opts?: SuperviseOptions, ctx?: TaskContext<Process>) => Promise<CompletedProcess> = superviseRunProcess;
type Resolved = Awaited<ReturnType<typeof runProcess>>;
export const resolvesWith: [Resolved extends CompletedProcess ? true : false, CompletedProcess extends Resolved ? true : false] = [true, true];

// Every error class's \`code\` but SpawnError's (an errno when there is one) is a literal type: a
// switch over it narrows to the class, is checked for exhaustiveness, and a misspelt case is refused.
type Failure = CalledProcessError | OutputLimitError | StopDeniedError | Cancelled | ErrorGroup | NotStartedError | TooSlowError | UnknownLevelError | MissingLevelMethodError;
export function describeFailure(error: Failure): string {
  switch (error.code) {
    case 'ERR_SUBVISOR_CALLED_PROCESS':
    case 'ERR_SUBVISOR_EXITED_BEFORE_READY': return String(error.returncode);
    case 'ERR_SUBVISOR_OUTPUT_LIMIT': return error.stream;
    case 'ERR_SUBVISOR_STOP_DENIED': return String(error.group);
    case 'ERR_SUBVISOR_CANCELLED': return error.message;
    case 'ERR_SUBVISOR_ERROR_GROUP': return String(error.errors.length);
    case 'ERR_SUBVISOR_NOT_STARTED': return error.task;
    case 'ERR_SUBVISOR_TOO_SLOW':
    case 'ERR_SUBVISOR_READY_TIMEOUT': return String(error.timeoutMs);
    case 'ERR_SUBVISOR_UNKNOWN_LEVEL': return String(error.level);
    case 'ERR_SUBVISOR_MISSING_LEVEL_METHOD': return error.availableLevels.join();
    default: { const unreachable: never = error; return unreachable; }
  }
}
// @ts-expect-error: a misspelt code is no code of the class
export const misspelt = (error: Cancelled): boolean => error.code === 'ERR_SUBVISOR_CANCELED';

export async function main(): Promise<void> {
  const done: CompletedProcess = await runProcess(['echo', 'hi'], run);
  // A stream asked for is typed as there (no \`?.\` or \`!\`); one not asked for, or asked for only at run time, may be null.
  const shouted = await runProcess(['echo', 'hi'], { captureStdout: true, captureStderr: true, check: false });
  const both: string = shouted.stdout.toString() + shouted.stderr.toString();
  const quiet = await runProcess(['true'], { captureStderr: true });
  // @ts-expect-error: stdout was not captured
  quiet.stdout.toString();
  const perhaps = await runProcess(['true'], { captureStdout: process.argv.length > 2 });
  // @ts-expect-error: whether stdout was captured is known only at run time
  perhaps.stdout.toString();
  const unsure = await runProcess(['true'], { captureStdout: process.argv.length > 2 ? true : undefined });
  // @ts-expect-error: \`true | undefined\` may be no capture
  unsure.stdout.toString();
  console.log(both, quiet.stderr.length);
  console.log(done.returncode, done.pid, done.durationMs, done.command, done.stopped, done.stdout?.toString());
  await superviseRunProcess(['true'], { relayStdout: true, logger: relay, relayLevel: 'relay', readyWhen: ready });
  await superviseRunProcess(['true'], { relayStdout: true, logger: console });
  await superviseRunProcess(['true'], kept);
  await superviseRunProcess(['true'], returning);
  await superviseRunProcess(['true'], waiting);
  console.log(mistyped.label);
  await openNursery(async (tn: Nursery) => {
    tn.startSoon(async ({ signal }) => { signal.throwIfAborted(); }, 'noop');
    // A task written for start() runs under startSoon too (its started() does nothing there), as in trio.
    tn.startSoon(serve, 'in the background');
    tn.startSoon(async ({ started }: TaskContext<number>) => { started(8080); });
    const proc: Process = await tn.start(serve);
    const other = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '1'], options, ctx));
    // Without start<Process>: the call's type says it hands up a Process, so no \`unknown\` to cast.
    const inferred = await tn.start((ctx) => superviseRunProcess(['sleep', '1'], options, ctx), 'inferred');
    const inferredPid: number = inferred.pid;
    await inferred.stop();
    // @ts-expect-error: a call that hands up a Process is no start<number>
    await tn.start<number>((ctx) => superviseRunProcess(['true'], {}, ctx));
    const port: number = await tn.start<number>(async ({ started }) => { started(8080); });
    // @ts-expect-error: start<number>'s task must pass a number to started()
    await tn.start<number>(async ({ started }) => { started('8080'); });
    console.log(inferredPid, port);
    const status: number | null = proc.returncode;
    const signal: NodeJS.Signals | null = proc.signal;
    console.log(status, signal, proc.pid, proc.args, proc.poll());
    proc.sendSignal('SIGTERM');
    await other.stop();
    const code: number = await proc.wait();
    console.log(code);
    tn.cancel(new Cancelled());
  }, { signal: AbortSignal.timeout(10_000) });
  try {
    await collapseErrorGroup(() => failAfter(100, (signal) => runProcess(['false'], { signal })));
  } catch (error) {
    if (error instanceof ExitedBeforeReadyError) console.log(error.readyWhen, error.code);
    else if (error instanceof CalledProcessError) {
      const stderr: Buffer | null = error.stderr;
      const notes: string[] = error.notes;
      console.log(error.returncode, error.signal, error.cmd, error.stdout, stderr, notes, error.pid, error.durationMs, error.command, error.code);
    } else if (error instanceof ErrorGroup) console.log(error.errors.length, error.code);
    else if (error instanceof SpawnError) console.log(error.code, error.cwd);
    else if (error instanceof ReadyTimeoutError) console.log(error.timeoutMs, error.stderr, error.code);
    else if (error instanceof OutputClosedBeforeReadyError) {
      const code: 'ERR_SUBVISOR_OUTPUT_CLOSED_BEFORE_READY' = error.code;
      const cmd: string[] | string = error.cmd;
      const stderr: Buffer | null = error.stderr;
      console.log(code, cmd, error.command, error.pid, stderr, error.readyWhen.length, error.notes.length);
      error.addNote('seen');
    }
    else if (error instanceof TooSlowError) console.log(error.code);
    else if (error instanceof OutputLimitError) console.log(error.stream, error.code);
    else if (error instanceof NotStartedError || error instanceof StopDeniedError) console.log(error.code);
  }
  await openNursery(async (tn) => {
    // @ts-expect-error: a task context where the options go (the {} before it forgotten) is refused, as at run time
    await tn.start<Process>((ctx) => superviseRunProcess(['true'], ctx));
    // @ts-expect-error: runProcess takes no task context: its scope reaches the call by itself
    await tn.start(async (ctx) => { await runProcess(['true'], ctx); });
  });
  const later: string | undefined = await moveOnAfter(100, async () => 'x');
  // Fields a caller may not know, as optional values: accepted as \`undefined\`, like every options type.
  const init: CalledProcessErrorInit = { cmd: ['x'], returncode: 1, signal: null, pid: maybe(0), durationMs: maybe(0), stdout: undefined, stderr: undefined };
  const made = new CalledProcessError(init);
  made.addNote('made by hand');
  const records: LogRecord[] = [];
  const previous = configureLogging({ level: 'debug', sink: (record) => { records.push(record); } });
  configureLogging({ sink: createConsoleSink({ color: undefined }) });
  configureLogging({ sink: createNdjsonSink({ stream: process.stdout }) });
  configureLogging(previous);
  new LineSplitter((line) => { lines.push(line); }, { maxLineBytes: maybe(1024) }).end();
  console.log(later, made.code);
}
`;

// The package as npm installs it, so a declaration importing a file the tarball leaves out fails here.
const packed = packedForThisFile();

/** The consumer project of this file's install. */
function app(): string {
  return packed().app;
}

/** Runs the TypeScript compiler of the repository on a config in the consumer project; its diagnostics, empty when it passed. */
function compile(config: string, compilerOptions: Record<string, unknown>, files: readonly string[]): string {
  writeFileSync(join(app(), config), JSON.stringify({ compilerOptions: { ...compilerOptions, typeRoots: [join(ROOT, 'node_modules', '@types')] }, files }));
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], { cwd: app(), encoding: 'utf8', timeout: 60_000 });
  if (tsc.status === 0) return '';
  // Never empty: a tsc killed by the timeout (a loaded machine) prints nothing, and an empty string
  // here would read as a clean compile.
  return `tsc -p ${config}: ${tsc.error?.message ?? `status ${tsc.status}, signal ${tsc.signal}`}\n${tsc.stdout}${tsc.stderr}`;
}

// The strictest settings in use (those of @tsconfig/strictest, and the module syntax flags of
// `tsc --init`), without skipLibCheck, so that our declarations are checked under them too.
// noUnusedLocals and noUnusedParameters are left out: they judge the consumer's code, not ours.
const STRICTEST = {
  target: 'ES2022', lib: ['ES2022'], strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true,
  noPropertyAccessFromIndexSignature: true, noImplicitOverride: true, noImplicitReturns: true, noFallthroughCasesInSwitch: true,
  verbatimModuleSyntax: true, isolatedModules: true, allowUnusedLabels: false, allowUnreachableCode: false,
  skipLibCheck: false, noEmit: true, types: ['node'],
};

// Every ```ts block of the README, as a user pastes it: each is a whole program (readme.test.ts runs them).
const README_EXAMPLES = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

// CommonJS (a .cts file) reaches the package by require, as Node >= 20.19 loads ES modules with it
// (TypeScript allows it under nodenext), and by import() everywhere.
const CJS_CONSUMER = `
import subvisor = require('subvisor');
import type { Process } from 'subvisor' with { 'resolution-mode': 'import' };
async function viaRequire(): Promise<number | null> {
  try {
    return (await subvisor.runProcess(['true'])).returncode;
  } catch (error) {
    if (error instanceof subvisor.CalledProcessError) return error.returncode;
    throw error;
  }
}
async function viaImport(): Promise<Process | undefined> {
  const { openNursery, superviseRunProcess } = await import('subvisor');
  return openNursery(async (tn) => tn.start<Process>((ctx) => superviseRunProcess(['true'], {}, ctx)));
}
export = { viaRequire, viaImport };
`;

test('a strict TypeScript user compiles the API and the README\'s examples against the built declarations, under every module setting a Node project uses', { timeout: 240_000 }, () => {
  writeFileSync(join(app(), 'consumer.ts'), CONSUMER);
  writeFileSync(join(app(), 'consumer.cts'), CJS_CONSUMER);
  const examples = README_EXAMPLES.map((block, index) => {
    const file = `readme-${index + 1}.ts`;
    writeFileSync(join(app(), file), block);
    return file;
  });
  assert.ok(examples.length >= 5, `found only ${examples.length} ts blocks in the README`);
  const failures: string[] = [];
  for (const [module, moduleResolution] of [['node16', 'node16'], ['nodenext', 'nodenext'], ['esnext', 'bundler'], ['preserve', 'bundler']] as const) {
    // Node 16's rules have no require() of an ES module: there a .cts file must use import().
    const files = ['consumer.ts', ...examples, ...(module === 'nodenext' ? ['consumer.cts'] : [])];
    const diagnostics = compile(`tsconfig.${module}.json`, { ...STRICTEST, module, moduleResolution }, files);
    if (diagnostics !== '') failures.push(`${module}:\n${diagnostics}`);
  }
  assert.deepEqual(failures, []);
});

// TypeScript 6 made `types: []` the default (`tsc --init` writes it, beside `skipLibCheck: true`):
// @types/node installed, but in no program unless something asks for it. A declaration of ours
// naming Buffer or NodeJS.Signals then names nothing, and under skipLibCheck nothing says so: the
// field reads as `any`, and a user's mistake with it compiles.
test('under `types: []` and skipLibCheck, the declarations still bring Node\'s types: a misused field is refused, not `any`', { timeout: 120_000 }, () => {
  writeFileSync(join(app(), 'untyped.ts'), [
    "import { runProcess, type Process } from 'subvisor';",
    "const done = await runProcess(['true'], { captureStdout: true });",
    'export const signalOf = (proc: Process): string | null => proc.signal;',
    'export const wrong: number = done.stdout;',
    '',
  ].join('\n'));
  const diagnostics = compile('tsconfig.untyped.json', {
    target: 'ES2022', lib: ['ES2022'], module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true, noEmit: true, types: [],
  }, ['untyped.ts']);
  // The one error is the misuse (line 4); `proc.signal` read as what it is compiles (the control).
  const errors = diagnostics.split('\n').filter((line) => line.includes('error TS'));
  assert.equal(errors.length, 1, diagnostics);
  assert.match(errors[0]!, /^untyped\.ts\(4,14\): error TS2322: Type 'Buffer(<ArrayBufferLike>)?' is not assignable to type 'number'/); // length checked above
});

// What an editor shows on hover is the TSDoc of the declaration: a field without one (`error.stderr`)
// leaves the user to guess that it is a 16 KiB tail, or when it is null. `name` is left out: it
// only restates the class.
test('every public name, and every member of ours a user reaches on it, carries TSDoc', { timeout: 60_000 }, () => {
  const entry = join(ROOT, 'dist', 'index.d.ts');
  const program = ts.createProgram([entry], { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!); // the entry is the program's root
  assert.ok(moduleSymbol);
  const ours = (symbol: ts.Symbol): boolean => (symbol.declarations ?? []).some((declaration) => declaration.getSourceFile().fileName.startsWith(join(ROOT, 'dist')));
  const undocumented: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (symbol.getDocumentationComment(checker).length === 0) undocumented.push(exported.name);
    const declaration = symbol.declarations?.[0];
    if (declaration === undefined || !(ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration) || ts.isTypeAliasDeclaration(declaration))) continue;
    for (const member of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
      if (member.name === 'name' || member.name.startsWith('#') || !ours(member)) continue;
      if (member.getDocumentationComment(checker).length === 0) undocumented.push(`${exported.name}.${member.name}`);
    }
  }
  assert.deepEqual(undocumented, []);
});

/** An optional parameter a user may leave out, or an option of ours in a parameter's type. */
interface OptionalInput {
  /** `failAfter(opts)`, `runProcess(opts.killGraceMs)`, `Nursery.start(name)`. */
  readonly where: string;
  readonly symbol: ts.Symbol;
  readonly kind: 'parameter' | 'option';
}

/**
 * Every optional parameter of the public functions, constructors and methods, and every option of
 * ours in their parameters' types, as a user with `exactOptionalPropertyTypes` sees them in dist/.
 * `never` properties are left out: they are guards (`started`), no options.
 */
function optionalInputs(): { checker: ts.TypeChecker; inputs: OptionalInput[] } {
  const entry = join(ROOT, 'dist', 'index.d.ts');
  const program = ts.createProgram([entry], { strict: true, exactOptionalPropertyTypes: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!); // the entry is the program's root
  assert.ok(moduleSymbol);
  const ours = (symbol: ts.Symbol): boolean => (symbol.declarations ?? []).some((declaration) => declaration.getSourceFile().fileName.startsWith(join(ROOT, 'dist')));
  const inputs: OptionalInput[] = [];
  const collect = (where: string, type: ts.Type): void => {
    for (const signature of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
      for (const parameter of signature.getParameters()) {
        const declaration = parameter.valueDeclaration;
        if (declaration === undefined || !ts.isParameter(declaration)) continue;
        if (declaration.questionToken !== undefined || declaration.initializer !== undefined) inputs.push({ where: `${where}(${parameter.name})`, symbol: parameter, kind: 'parameter' });
        for (const member of checker.getPropertiesOfType(checker.getNonNullableType(checker.getTypeOfSymbol(parameter)))) {
          if (!(member.flags & ts.SymbolFlags.Optional) || !ours(member) || checker.getNonNullableType(checker.getTypeOfSymbol(member)).flags & ts.TypeFlags.Never) continue;
          inputs.push({ where: `${where}(${parameter.name}.${member.name})`, symbol: member, kind: 'option' });
        }
      }
    }
  };
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    collect(exported.name, checker.getTypeOfSymbol(symbol));
    const declaration = symbol.declarations?.[0];
    if (declaration === undefined || !(ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration))) continue;
    for (const member of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
      // Methods we implement; a property holding a function (a sink) is the user's, and what it is called with no option.
      const method = (member.declarations ?? []).some((node) => ts.isMethodDeclaration(node) || ts.isMethodSignature(node));
      if (method && ours(member)) collect(`${exported.name}.${member.name}`, checker.getTypeOfSymbol(member));
    }
  }
  return { checker, inputs: inputs.filter((input, index) => inputs.findIndex((other) => other.where === input.where) === index) };
}

// A declaration keeps no default value (`message = 'cancelled by its scope'` is emitted as
// `message?: string`), so what a user gets when leaving a parameter or an option out is only ever
// in its TSDoc.
test('every optional parameter of a public function, constructor or method, and every option of ours it takes, says its default', { timeout: 60_000 }, () => {
  const { checker, inputs } = optionalInputs();
  assert.ok(inputs.some((input) => input.where === 'runProcess(opts.killGraceMs)'), 'the options are reached');
  const silent = inputs.filter((input) => !/\b(Default|Initially)\b/.test(ts.displayPartsToString(input.symbol.getDocumentationComment(checker))));
  assert.deepEqual(silent.map((input) => input.where), []);
});

// Under exactOptionalPropertyTypes, \`killGraceMs?: number\` refuses \`{ killGraceMs: opts.grace ?? undefined }\`,
// the way a wrapper passes on what its own caller left out.
test('every option of ours takes `undefined` as "not given", under exactOptionalPropertyTypes', { timeout: 60_000 }, () => {
  const { checker, inputs } = optionalInputs();
  const options = inputs.filter((input) => input.kind === 'option');
  // The type as written: the type of an optional property read back has \`undefined\` (TypeScript's "missing") either way.
  const written = (symbol: ts.Symbol): ts.Type | undefined => {
    // An option carried over by Omit<> or Pick<> has no valueDeclaration of its own, only its origin's.
    const declaration = symbol.declarations?.find(ts.isPropertySignature);
    return declaration?.type === undefined ? undefined : checker.getTypeFromTypeNode(declaration.type);
  };
  const takesUndefined = (type: ts.Type | undefined): boolean =>
    type !== undefined && (type.isUnion() ? type.types : [type]).some((part) => (part.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Unknown | ts.TypeFlags.Any)) !== 0);
  assert.ok(options.length >= 40, `found only ${options.length} options`);
  assert.deepEqual(options.filter((input) => !takesUndefined(written(input.symbol))).map((input) => input.where), []);
});
