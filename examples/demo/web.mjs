// A real HTTP server on a free loopback port; it writes the port where the smoke test finds it.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';

const server = createServer((request, response) => {
  console.log(`web: ${request.method} ${request.url}`);
  response.end(`${process.env.GREETING ?? 'hello'}\n`);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  writeFileSync('.web-port', String(port));
  console.log(`web: listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => {
  console.error('web: SIGTERM received, closing the server');
  server.close();
});
