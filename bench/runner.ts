// One measured run in a process of its own, so that its peak RSS belongs to one implementation:
//
//   node bench/.data/build/bench/runner.js '{"kind":"lines","contender":"raw","cmd":["cat","FILE"]}'
//
// prints one line of JSON, `{ ms, cpuMs, maxRssBytes, check }`:
// - `ms`: timed inside this process, from just before the job starts to the moment its result
//   exists, so process start-up and module loading are not counted;
// - `cpuMs`: this process's CPU time (user + system) over the same span, steadier than wall time
//   on a busy machine, for diagnosis;
// - `maxRssBytes`: the kernel's peak resident set of this whole process (getrusage), start-up
//   included, which is the same for every contender;
// - `check`: what the job delivered (counts, a digest), computed after the clock stopped and the
//   peak RSS was read; the parent compares it exactly.
//
// main.ts compiles this file (and what it imports) with tsc into bench/.data/build and runs the
// JavaScript with plain node: no loader in the measured process, as users run their code.
import { countLines } from './contenders/contender.js';
import { isContenderName, loadContender } from './contenders/index.js';
import type { Job, JobCheck } from './isolated.js';

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
if (!isContenderName(job.contender)) throw new Error(`runner: unknown contender ${String(job.contender)}`);
// Only what the job needs is loaded, before the clock starts: the peak RSS is this contender's.
const contender = await loadContender(job.contender);
const drainStrings = job.kind === 'drain' ? (await import('./contenders/raw.js')).drainStrings : undefined;
const relayLineEvents = job.kind === 'line-events' ? (await import('./contenders/subvisor.js')).relayLineEvents : undefined;
// The peers import Node's child_process (and the streams under it) with themselves; subvisor loads
// the builtins it needs at first use (src/builtins.ts), which would put its module loading inside
// the clock. Loaded here, for every contender alike, module loading stays out of the timed span as
// documented above; S5 measures it.
await Promise.all([import('node:child_process'), import('node:string_decoder'), import('node:timers/promises'), import('node:os')]);

const started = process.hrtime.bigint();
const cpuAtStart = process.cpuUsage();
let finish: () => Promise<JobCheck>;
switch (job.kind) {
  case 'lines': {
    const sink = await contender.relayLines(job.cmd, job.maxLineBytes);
    finish = async () => ({ lines: sink.lines, chars: sink.chars, first: sink.first ?? null });
    break;
  }
  case 'line-events': {
    const sink = await relayLineEvents!(job.cmd); // loaded above for this kind
    finish = async () => ({ lines: sink.lines, chars: sink.chars, first: sink.first ?? null });
    break;
  }
  case 'drain': {
    const sink = await drainStrings!(job.cmd); // loaded above for this kind
    finish = async () => ({ lines: null, chars: sink.chars, first: null });
    break;
  }
  case 'failure': {
    const error = await contender.failure(job.cmd);
    finish = async () => {
      const { createHash } = await import('node:crypto');
      const { exitCode, stderr } = contender.describeFailure(error);
      const text = typeof stderr === 'string' ? stderr : Buffer.from(stderr.buffer, stderr.byteOffset, stderr.byteLength).toString('latin1');
      return { lines: countLines(text), chars: text.length, first: null, exitCode, sha1: createHash('sha1').update(text, 'latin1').digest('hex') };
    };
    break;
  }
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const cpu = process.cpuUsage(cpuAtStart);
// Read before the check is computed: the check is the bench's work, not the contender's.
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
const check = await finish();
process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssBytes, check })}\n`);
