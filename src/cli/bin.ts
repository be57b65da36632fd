#!/usr/bin/env node
import { unsupportedNode } from '../builtins.js';

// The command's modules reach Node's builtins as they load, so on a Node without what subvisor
// needs, loading them fails with a stack trace: this entry asks first, and says it in one line.
const unsupported = unsupportedNode();
if (unsupported === undefined) {
  await import('./main.js');
} else {
  process.stderr.write(`${unsupported}\n`);
  process.exitCode = 1;
}
