// The main process: it exercises the web server, and its exit (status 0) ends the whole run.
import { readFileSync } from 'node:fs';

const port = readFileSync('.web-port', 'utf8');
for (const path of ['/health', '/users/42', '/orders']) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  console.log(`smoke: GET ${path} -> ${response.status} ${(await response.text()).trim()}`);
}
console.log('smoke: all checks passed');
